/**
 * What a hospital's gateway serves to the other hospitals' gateways (under /peer/v1, authenticated
 * by peerAuth.ts). Each answer is decided here from this gateway's own read of the chain, at one
 * block, for the reader the asking hospital names — never on the asker's word — and logged in this
 * hospital's access log (actor: the reader; reason: which hospital fetched it):
 *
 *   GET /peer/v1/records/:id/versions/:v/ciphertext?cid=…&reader=0x…   the ciphertext (the reader may read the record now)
 *   GET /peer/v1/records/:id/versions/:v/envelope?reader=0x…          the reader's key envelope (HPKE to the reader: opens for nobody else)
 *   GET /peer/v1/records/:id/versions/:v/escrow?requester=0x…         the escrow bundle (the requester's break-glass is live);
 *                                                                     each share opens only with its own hospital's custodian key
 *
 * Only what its author uploaded here (or a verified replica) is served, as on the REST routes.
 */
import { Hono } from 'hono';
import { getAddress, type Address, type Hex } from 'viem';
import { Permission } from '../../sdk/contracts.ts';
import { cidOrUndefined } from '../../sdk/records.ts';
import { fail } from '../http/errors.ts';
import type { DataRouteDeps } from '../routes/types.ts';
import { address, hex32, parse, version } from '../routes/validation.ts';
import type { PeerEnv } from './peerAuth.ts';
import type { PeerReplicas } from './replicas.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export function peerRoutes(deps: DataRouteDeps & { replicas: PeerReplicas }, auth: ReturnType<typeof import('./peerAuth.ts').peerAuth>) {
  const app = new Hono<PeerEnv>();
  app.use('*', auth);

  /** The record at one block, and whether `reader` may read it now; refusals say only what the chain shows anyone. */
  async function decide(recordId: Hex, reader: Address, action: string, peerName: string) {
    const at = await deps.access.pin();
    const record = await deps.access.record(recordId, at);
    if (record.patient === '0x0000000000000000000000000000000000000000') fail(404, `record ${recordId} is not registered on chain`);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    const decision = await deps.access.authorizeRecord({ patient: record.patient, accessor: reader, category: record.category, recordId, permission: Permission.Read }, at);
    const entry = { actor: reader, patient: getAddress(record.patient), recordId, action, purpose: 'treatment' } as const;
    if (!decision.allowed) {
      await deps.audit.append({ ...entry, outcome: 'denied', reason: `for hospital ${peerName}: ${decision.reason}` });
      fail(403, `the chain shows no live read access of ${reader} to this record (${decision.reason})`);
    }
    return { record, decision, at, entry };
  }

  app.get('/records/:id/versions/:v/ciphertext', async (c) => {
    const peer = c.get('peer');
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const reader = parse(address, c.req.query('reader'));
    const cid = c.req.query('cid');
    const { at, entry } = await decide(recordId, reader, 'peer-ciphertext', peer.name);
    const ver = await deps.access.version(recordId, v, at);
    if (ver.version === 0) fail(404, `no version ${v}`);
    const registered = cidOrUndefined(ver.contentId);
    if (!registered || registered !== cid) fail(404, 'cid is not the content id registered on chain for this version');
    const mine = await deps.uploads.uploadedBy(ver.contentId, getAddress(ver.author)) || await deps.replicas.holds(ver.contentId, recordId, v);
    if (!mine || !(await deps.blobs.has(registered))) fail(404, 'ciphertext not held by this gateway');
    const bytes = await deps.blobs.get(registered);
    await deps.audit.append({ ...entry, outcome: 'allowed', reason: `served to hospital ${peer.name} (${bytes.length} bytes)` });
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  });

  app.get('/records/:id/versions/:v/envelope', async (c) => {
    const peer = c.get('peer');
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const reader = parse(address, c.req.query('reader'));
    const { entry } = await decide(recordId, reader, 'peer-envelope', peer.name);
    const envelope = await deps.envelopes.get(recordId, v, reader);
    if (!envelope) fail(404, 'no envelope for that reader here');
    await deps.audit.append({ ...entry, outcome: 'allowed', reason: `served to hospital ${peer.name}` });
    return c.json({ recordId, version: v, reader, envelope: b64(envelope) }, 200, { 'cache-control': 'no-store' });
  });

  app.get('/records/:id/versions/:v/escrow', async (c) => {
    const peer = c.get('peer');
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const requester = parse(address, c.req.query('requester'));
    const { decision, entry } = await decide(recordId, requester, 'peer-escrow', peer.name);
    if (decision.basis !== 'break-glass') fail(403, 'escrow bundles go to other hospitals only for a live break-glass of the requester');
    const escrow = await deps.escrow.get(recordId, v);
    if (!escrow) fail(404, `no escrow shares were deposited here for version ${v}`);
    await deps.audit.append({ ...entry, purpose: 'emergency', outcome: 'allowed', reason: `escrow bundle served to hospital ${peer.name}` });
    return c.json({
      recordId, version: v, threshold: escrow.threshold, commitment: b64(escrow.commitment),
      shares: escrow.shares.map((s) => ({ custodian: s.custodian, index: s.index, envelope: b64(s.envelope) })),
    }, 200, { 'cache-control': 'no-store' });
  });

  return app;
}
