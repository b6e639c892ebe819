/**
 * Record routes (REST, under /api). Clients encrypt; the gateway stores ciphertext under its CID,
 * keeps each reader's key envelope, and hands them out only while chain state allows — every
 * decision, allowed or denied, goes to the access log.
 *
 *   POST /api/blobs                                   upload ciphertext (octet-stream) -> { cid }
 *   POST /api/records/:id/versions/:v/envelopes       after registering the version on chain: envelopes (+ blind-index tokens)
 *   GET  /api/records?patient=0x…                     the patient's records the caller may read
 *   GET  /api/records/:id                             metadata, versions, and the caller's access (basis, until)
 *   GET  /api/records/:id/versions/:v/ciphertext      the ciphertext
 *   GET  /api/records/:id/versions/:v/envelope        the caller's key envelope
 *   POST /api/records/:id/versions/:v/share           the patient adds an envelope for a reader with a live grant
 *   GET  /api/records/:id/versions/:v/verify?hash=0x… integrity check against the chain
 *   POST /api/records/:id/versions/:v/escrow/release  under live break-glass: this gateway's escrow shares, re-wrapped to the caller
 *   POST /api/records/:id/erase                       after the patient erased it on chain: destroy ciphertext, envelopes, escrow shares
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { getAddress, type Address, type Hex } from 'viem';
import { IdentityAbi, Permission, RecordRegistryAbi } from '../../sdk/contracts.ts';
import { bindingOf, cidFromContentId } from '../../sdk/records.ts';
import { accessView, authorizeAndLog } from './authorize.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import type { PinnedBlock } from '../chain/access.ts';
import { address, fail, hex32, jsonBody, parse, sessionOf, version } from './validation.ts';

const base64 = z.string().min(1).max(4096).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64');
const MAX_BLOB_BYTES = 64 * 2 ** 20;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** Request bodies (also published in /openapi.json). */
export const depositEnvelopesBody = z.object({
  envelopes: z.array(z.object({ recipient: address, envelope: base64 })).min(1).max(64),
  tokens: z.array(z.string().regex(/^[0-9a-f]{16,128}$/, 'expected hex blind-index tokens')).max(256).optional(),
  escrow: z.object({
    threshold: z.number().int().min(2).max(255),
    commitment: base64,
    shares: z.array(z.object({ custodian: z.string().min(1).max(120), index: z.number().int().min(0).max(254), envelope: base64 })).min(2).max(255),
  }).refine((e) => e.threshold <= e.shares.length, 'threshold exceeds the number of shares')
    .refine((e) => Buffer.from(e.commitment, 'base64').length === 32, 'commitment must be 32 bytes')
    .refine((e) => new Set(e.shares.map((s) => s.index)).size === e.shares.length, 'share indexes must be distinct')
    .optional(),
});
/** The CID of a content id read from chain, or null when it is not one (a write grantee can register any bytes). */
function cidOf(contentId: Hex): string | null {
  if (contentId === '0x') return null;
  try { return cidFromContentId(contentId); } catch { return null; }
}

export const shareBody = z.object({ recipient: address, envelope: base64 });

export function recordRoutes(deps: DataRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const registry = { address: deps.addresses.recordRegistry, abi: RecordRegistryAbi } as const;

  const session = (c: Context<GatewayEnv>): Session => sessionOf(c, { requireRole: true });

  async function chainRecord(recordId: Hex, at?: PinnedBlock) {
    const record = await deps.access.record(recordId, at);
    if (record.patient === '0x0000000000000000000000000000000000000000') fail(404, `record ${recordId} is not registered on chain`);
    return record;
  }

  const authorize = (s: Session, record: { patient: Address; category: Hex }, recordId: Hex, permission: number, action: string, at?: PinnedBlock) =>
    authorizeAndLog(deps, s, record, recordId, permission, action, at);

  app.post('/blobs', async (c) => {
    const s = session(c);
    if (!['patient', 'provider', 'device', 'admin'].includes(s.role)) fail(403, 'only patients, providers and devices upload records');
    const length = Number(c.req.header('content-length') ?? NaN);
    if (!Number.isFinite(length)) fail(400, 'content-length is required');
    if (length > MAX_BLOB_BYTES) fail(413, `ciphertext larger than ${MAX_BLOB_BYTES} bytes: upload attachments in parts`);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) fail(400, 'empty body: expected the record ciphertext');
    if (bytes.length > MAX_BLOB_BYTES) fail(413, `ciphertext larger than ${MAX_BLOB_BYTES} bytes`);
    return c.json({ cid: await deps.blobs.put(bytes) }, 201);
  });

  app.post('/records/:id/versions/:v/envelopes', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const body = parse(depositEnvelopesBody, await jsonBody(c));
    const record = await chainRecord(recordId);
    const onChain = await deps.client.readContract({ ...registry, functionName: 'getVersion', args: [recordId, v] });
    if (onChain.version === 0) fail(404, `version ${v} of ${recordId} is not registered on chain`);
    if (getAddress(onChain.author) !== s.address && getAddress(record.patient) !== s.address) fail(403, 'only the version\'s author or the patient may deposit its envelopes');
    const cid = cidOf(onChain.contentId);
    if (cid === null) fail(422, 'the version registered on chain has a content id that is not a CID: register the CID of the uploaded ciphertext');
    if (!(await deps.blobs.has(cid!))) fail(409, 'upload the ciphertext (POST /api/blobs) before depositing envelopes');
    if (!body.envelopes.some((e) => e.recipient === getAddress(record.patient))) fail(400, 'an envelope for the patient is required');
    await deps.envelopes.put(body.envelopes.map((e) => ({ recordId, version: v, recipient: e.recipient, envelope: new Uint8Array(Buffer.from(e.envelope, 'base64')), kind: 'data-key' as const })));
    if (body.tokens) await deps.envelopes.putTokens(recordId, body.tokens);
    if (body.escrow) {
      await deps.escrow.put(recordId, v, {
        threshold: body.escrow.threshold, commitment: unb64(body.escrow.commitment),
        shares: body.escrow.shares.map((sh) => ({ custodian: sh.custodian, index: sh.index, envelope: unb64(sh.envelope) })),
      });
    }
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'write', purpose: 'treatment', outcome: 'allowed', reason: 'author' });
    return c.json({ recordId, version: v, recipients: await deps.envelopes.recipients(recordId, v) }, 201);
  });

  app.get('/records', async (c) => {
    const s = session(c);
    const patient = parse(address, c.req.query('patient') ?? s.address);
    const rows = await deps.index.query<{ record_id: Hex; category: Hex; latest_version: number | string; erased_block: unknown }>(
      'SELECT record_id, category, latest_version, erased_block FROM records WHERE patient = $1 ORDER BY created_block, record_id', [patient.toLowerCase()]);
    const visible = [];
    // No live grant, no data: records the caller may not read are left out, totals included.
    for (const row of rows) {
      const decision = await deps.access.authorizeRecord({ patient, accessor: s.address, category: row.category, recordId: row.record_id, permission: Permission.Read });
      if (!decision.allowed) continue;
      visible.push({ recordId: row.record_id, category: row.category, latestVersion: Number(row.latest_version), erased: row.erased_block !== null, access: accessView(decision) });
    }
    await deps.audit.append({ actor: s.address, patient, action: 'list', purpose: patient === s.address ? 'self' : 'treatment', outcome: 'allowed', reason: `${visible.length} visible` });
    return c.json({ patient, total: visible.length, records: visible });
  });

  app.get('/records/:id', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const record = await chainRecord(recordId);
    const decision = await authorize(s, record, recordId, Permission.Read, 'read-metadata');
    const versions = [];
    for (let v = 1; v <= record.latestVersion; v++) {
      const ver = await deps.client.readContract({ ...registry, functionName: 'getVersion', args: [recordId, v] });
      versions.push({ version: v, author: ver.author, timestamp: Number(ver.timestamp), previousVersion: ver.previousVersion, cid: cidOf(ver.contentId), integrityHash: ver.integrityHash });
    }
    return c.json({
      recordId, patient: record.patient, category: record.category, latestVersion: record.latestVersion, createdAt: Number(record.createdAt),
      erasedAt: record.erasedAt === 0n ? null : Number(record.erasedAt), versions, access: accessView(decision),
    });
  });

  app.get('/records/:id/versions/:v/ciphertext', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    // One block for the whole request: the record, the decision and the version are read at it.
    const at = await deps.access.pin();
    const record = await chainRecord(recordId, at);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    await authorize(s, record, recordId, Permission.Read, 'read', at);
    const ver = await deps.access.version(recordId, v, at);
    if (ver.version === 0) fail(404, `no version ${v}`);
    const cid = cidOf(ver.contentId);
    if (cid === null) fail(404, `version ${v} has no ciphertext (its content id on chain is not a CID)`);
    const bytes = await deps.blobs.get(cid!).catch(() => fail(404, 'ciphertext not held by this gateway'));
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  });

  app.get('/records/:id/versions/:v/envelope', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const at = await deps.access.pin();
    const record = await chainRecord(recordId, at);
    const decision = await authorize(s, record, recordId, Permission.Read, 'read-key', at);
    const envelope = await deps.envelopes.get(recordId, v, s.address);
    if (!envelope) fail(404, decision.basis === 'break-glass' ? 'no envelope for you: request escrow release' : 'no envelope for you yet: the patient shares the key after approving');
    return c.json({ recordId, version: v, envelope: Buffer.from(envelope).toString('base64'), access: accessView(decision) }, 200, { 'cache-control': 'no-store' });
  });

  app.post('/records/:id/versions/:v/share', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const body = parse(shareBody, await jsonBody(c));
    const record = await chainRecord(recordId);
    if (getAddress(record.patient) !== s.address) fail(403, 'only the patient shares their records');
    const decision = await deps.access.authorizeRecord({ patient: record.patient, accessor: body.recipient, category: record.category, recordId, permission: Permission.Read });
    if (!decision.allowed) fail(409, `the recipient has no live read grant for this record (${decision.reason})`);
    await deps.envelopes.put([{ recordId, version: v, recipient: body.recipient, envelope: new Uint8Array(Buffer.from(body.envelope, 'base64')), kind: 'data-key' }]);
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'share', purpose: 'self', outcome: 'allowed', reason: `to ${body.recipient}` });
    return c.json({ recordId, version: v, recipient: body.recipient }, 201);
  });

  app.post('/records/:id/versions/:v/escrow/release', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const record = await chainRecord(recordId);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    const decision = await authorize(s, record, recordId, Permission.Read, 'escrow-release');
    // Escrow is for emergencies: anyone else reads through the patient's own share of the key.
    if (decision.basis !== 'break-glass') fail(409, `escrow is released only under live break-glass; you have access as ${decision.basis}`);
    const escrow = await deps.escrow.get(recordId, v);
    if (!escrow) fail(404, `no escrow shares were deposited for version ${v}`);
    const key = await deps.client.readContract({ address: deps.addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [s.address] });
    if (/^0x0{64}$/.test(key)) fail(409, 'publish your encryption key on chain (Identity.rotateEncryptionKey) before asking for a release');
    const shares = await deps.custodian.release(escrow, bindingOf(recordId, v, getAddress(record.patient)), s.address);
    if (shares.length === 0) fail(404, 'this gateway holds none of the custodian shares for this version');
    return c.json({
      recordId, version: v, threshold: escrow.threshold, commitment: b64(escrow.commitment),
      shares: shares.map((sh) => ({ index: sh.index, envelope: b64(sh.envelope) })), access: accessView(decision),
    }, 200, { 'cache-control': 'no-store' });
  });

  app.get('/records/:id/versions/:v/verify', async (c) => {
    session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const hash = parse(hex32, c.req.query('hash'));
    const valid = await deps.client.readContract({ ...registry, functionName: 'verifyIntegrity', args: [recordId, v, hash] });
    return c.json({ recordId, version: v, integrityHash: hash, valid });
  });

  app.post('/records/:id/erase', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const record = await chainRecord(recordId);
    if (getAddress(record.patient) !== s.address) fail(403, 'only the patient erases their records');
    if (record.erasedAt === 0n) fail(409, 'erase the record on chain first (RecordRegistry.eraseRecord); the gateway then destroys the ciphertext and keys');
    const rows = await deps.index.query<{ content_id: Hex; tx_hash: string }>('SELECT content_id, tx_hash FROM record_versions WHERE record_id = $1', [recordId]);
    let destroyed = 0;
    for (const row of rows) {
      const cid = row.content_id ? cidOf(row.content_id as Hex) : null;
      if (cid !== null && await deps.blobs.delete(cid)) destroyed++;
    }
    // Content ids are cleared on chain at erasure; the ones the indexer saw before are what is left to destroy.
    await deps.envelopes.removeRecord(recordId);
    await deps.escrow.removeRecord(recordId);
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'erase', purpose: 'self', outcome: 'allowed', reason: `${destroyed} ciphertexts destroyed` });
    return c.json({ recordId, erased: true, ciphertextsDestroyed: destroyed });
  });

  return app;
}
