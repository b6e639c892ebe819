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
 *   POST /api/records/:id/erase                       after the patient erased it on chain: waits for the shredding and reports what it destroyed
 *
 * Ownership (issue 13): a ciphertext is served under a record version only when that version's
 * author uploaded it here (content ids are public; the registry also refuses a content id twice).
 * Envelopes and escrow shares are write-once except that the patient — or a recipient for its own
 * envelope — may replace one; depositing needs live access (the patient, or the version's author
 * with a live write grant). Erasure is shredded by a durable job the indexer queues at RecordErased.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { getAddress, type Address, type Hex } from 'viem';
import { IdentityAbi, Permission } from '../../sdk/contracts.ts';
import { bindingOf, cidOrUndefined, contentIdFromCid } from '../../sdk/records.ts';
import { CryptoError } from '../../crypto/errors.ts';
import { EscrowConflictError, escrowStore } from '../escrow/custodian.ts';
import { EnvelopeConflictError, envelopeStore } from '../index/envelopes.ts';
import { accessView, authorizeAndLog, logDenial } from '../repository/authorize.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import type { PinnedBlock } from '../chain/access.ts';
import { recordRepository } from '../repository/records.ts';
import { chainRecords } from '../repository/chainRecords.ts';
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
export const shareBody = z.object({ recipient: address, envelope: base64 });

export function recordRoutes(deps: DataRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const records = recordRepository(deps.index);
  const chain = chainRecords(deps);

  const session = (c: Context<GatewayEnv>): Session => sessionOf(c, { requireRole: true });

  const authorize = (s: Session, record: { patient: Address; category: Hex }, recordId: Hex, permission: number, action: string, at?: PinnedBlock) =>
    authorizeAndLog(deps, s, record, recordId, permission, action, at);

  /** Per-account limits, checked before the body is read (a burst of parallel uploads may overshoot by what is in flight). */
  async function checkQuota(uploader: Address, length: number) {
    const q = deps.uploadQuota;
    const used = await deps.uploads.usage(uploader);
    const waitHint = `register them on chain (RecordRegistry.addRecord / updateRecord), or wait: unregistered uploads are deleted ${q.graceSeconds} s after upload`;
    if (used.pendingCount + 1 > q.pendingCount) fail(429, `upload quota: ${used.pendingCount} of your uploads are not registered on chain yet (limit ${q.pendingCount}); ${waitHint}`);
    if (used.pendingBytes + length > q.pendingBytes) fail(413, `upload quota: ${used.pendingBytes} bytes of your uploads are not registered on chain yet; this upload would pass the limit of ${q.pendingBytes}; ${waitHint}`);
    if (used.count + 1 > q.count) fail(429, `upload quota: you keep ${used.count} ciphertexts here (limit ${q.count}); erase records you no longer need or ask the operator for a larger quota`);
    if (used.bytes + length > q.bytes) fail(413, `upload quota: you keep ${used.bytes} bytes here; this upload would pass the limit of ${q.bytes}; erase records you no longer need or ask the operator for a larger quota`);
  }

  app.post('/blobs', async (c) => {
    const s = session(c);
    if (!['patient', 'provider', 'device', 'admin'].includes(s.role)) fail(403, 'only patients, providers and devices upload records');
    const length = Number(c.req.header('content-length') ?? NaN);
    if (!Number.isFinite(length)) fail(400, 'content-length is required');
    if (length > MAX_BLOB_BYTES) fail(413, `ciphertext larger than ${MAX_BLOB_BYTES} bytes: upload attachments in parts`);
    await checkQuota(s.address, length);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) fail(400, 'empty body: expected the record ciphertext');
    if (bytes.length > MAX_BLOB_BYTES) fail(413, `ciphertext larger than ${MAX_BLOB_BYTES} bytes`);
    const cid = await deps.blobs.put(bytes);
    await deps.uploads.record(s.address, cid, contentIdFromCid(cid), bytes.length);
    return c.json({ cid }, 201);
  });

  app.post('/records/:id/versions/:v/envelopes', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const body = parse(depositEnvelopesBody, await jsonBody(c));
    const at = await chain.pin();
    const record = await chain.registered(recordId, at);
    if (record.erasedAt !== 0n) fail(410, 'record erased: its keys are destroyed and nothing more is deposited');
    const onChain = await chain.version(recordId, v, at);
    if (onChain.version === 0) fail(404, `version ${v} of ${recordId} is not registered on chain`);
    const isPatient = getAddress(record.patient) === s.address;
    if (!isPatient && getAddress(onChain.author) !== s.address) fail(403, 'only the version\'s author or the patient may deposit its envelopes');
    // Live access at this block: an author whose write grant ended deposits nothing (the patient re-shares).
    await authorize(s, record, recordId, Permission.Write, 'deposit-envelopes', at);
    const cid = cidOrUndefined(onChain.contentId);
    if (!cid) fail(409, 'this version\'s content id is not a CIDv1: it names no ciphertext this gateway can hold');
    if (!(await deps.uploads.uploadedBy(onChain.contentId, getAddress(onChain.author))) || !(await deps.blobs.has(cid))) {
      fail(409, 'upload the ciphertext (POST /api/blobs) as the version\'s author before depositing envelopes');
    }
    if (!body.envelopes.some((e) => e.recipient === getAddress(record.patient))) fail(400, 'an envelope for the patient is required');
    try {
      await deps.transaction(async (tx) => {
        // Envelopes are the only copies of the data key: write-once, except the patient's re-shares and a recipient's own.
        await envelopeStore(tx, deps.clock).put(body.envelopes.map((e) => ({ recordId, version: v, recipient: e.recipient, envelope: unb64(e.envelope), kind: 'data-key' as const })),
          isPatient ? 'any' : { self: s.address });
        if (body.tokens) await envelopeStore(tx, deps.clock).putTokens(recordId, body.tokens);
        if (body.escrow) {
          await escrowStore(tx).put(recordId, v, {
            threshold: body.escrow.threshold, commitment: unb64(body.escrow.commitment),
            shares: body.escrow.shares.map((sh) => ({ custodian: sh.custodian, index: sh.index, envelope: unb64(sh.envelope) })),
          });
        }
      });
    } catch (error) {
      if (error instanceof EnvelopeConflictError || error instanceof EscrowConflictError) {
        await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'deposit-envelopes', purpose: 'treatment', outcome: 'denied', reason: error.name });
        fail(409, `${error.message}; nothing was changed`);
      }
      throw error;
    }
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'write', purpose: isPatient ? 'self' : 'treatment', outcome: 'allowed', reason: isPatient ? 'patient' : 'author' });
    return c.json({ recordId, version: v, recipients: await deps.envelopes.recipients(recordId, v) }, 201);
  });

  app.get('/records', async (c) => {
    const s = session(c);
    const patient = parse(address, c.req.query('patient') ?? s.address);
    const rows = await records.ofPatient(patient);
    const visible = [];
    let withheld = 0;
    // No live grant, no data: records the caller may not read are left out, totals included.
    for (const row of rows) {
      const decision = await deps.access.authorizeRecord({ patient, accessor: s.address, category: row.category, recordId: row.record_id, permission: Permission.Read });
      if (!decision.allowed) { withheld++; continue; }
      visible.push({ recordId: row.record_id, category: row.category, type: await deps.categories.typeOf(patient, row.category) ?? null, latestVersion: Number(row.latest_version), erased: row.erased_block !== null, access: accessView(decision) });
    }
    await deps.audit.append({ actor: s.address, patient, action: 'list', purpose: patient === s.address ? 'self' : 'treatment', outcome: 'allowed', reason: `${visible.length} visible` });
    if (withheld > 0) await logDenial(deps, s, patient, undefined, 'list', `${withheld} not readable`);
    return c.json({ patient, total: visible.length, records: visible });
  });

  app.get('/records/:id', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const record = await chain.registered(recordId);
    const decision = await authorize(s, record, recordId, Permission.Read, 'read-metadata');
    const versions = [];
    for (let v = 1; v <= record.latestVersion; v++) {
      const ver = await chain.registryVersion(recordId, v);
      // Anyone with write access may register any bytes as a content id: one that is no CID is reported, not fatal.
      const cid = ver.contentId === '0x' ? null : cidOrUndefined(ver.contentId) ?? null;
      const note = ver.contentId === '0x' ? undefined : cid === null ? 'the registered content id is not a CIDv1: no ciphertext can be fetched for this version' : undefined;
      versions.push({ version: v, author: ver.author, timestamp: Number(ver.timestamp), previousVersion: ver.previousVersion, cid, integrityHash: ver.integrityHash, ...(note ? { note } : {}) });
    }
    return c.json({
      recordId, patient: record.patient, category: record.category, type: await deps.categories.typeOf(getAddress(record.patient), record.category) ?? null, latestVersion: record.latestVersion, createdAt: Number(record.createdAt),
      erasedAt: record.erasedAt === 0n ? null : Number(record.erasedAt), versions, access: accessView(decision),
    });
  });

  app.get('/records/:id/versions/:v/ciphertext', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    // One block for the whole request: the record, the decision and the version are read at it.
    const at = await chain.pin();
    const record = await chain.registered(recordId, at);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    await authorize(s, record, recordId, Permission.Read, 'read', at);
    const ver = await chain.version(recordId, v, at);
    if (ver.version === 0) fail(404, `no version ${v}`);
    const cid = cidOrUndefined(ver.contentId);
    if (!cid) fail(404, 'this version\'s content id is not a CIDv1: there is no ciphertext to serve');
    // Written at another hospital: fetched from its gateway and verified by CID (peers/peerExchange.ts).
    await deps.peers?.ensureCiphertext(recordId, v, { contentId: ver.contentId, author: getAddress(ver.author) }, s.address);
    // Served only as the version its uploader registered it for: a content id copied into another record names nothing here.
    // Either holding suffices; the local upload (the common case) is asked first, so a replica lookup is made only for the rest.
    const held = await deps.uploads.uploadedBy(ver.contentId, getAddress(ver.author)) || await deps.replicas?.holds(ver.contentId, recordId, v);
    if (!held) fail(404, 'ciphertext not held by this gateway for this version (its author did not upload it here)');
    const bytes = await deps.blobs.get(cid).catch(() => fail(404, 'ciphertext not held by this gateway'));
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  });

  app.get('/records/:id/versions/:v/envelope', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const at = await chain.pin();
    const record = await chain.registered(recordId, at);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    const decision = await authorize(s, record, recordId, Permission.Read, 'read-key', at);
    await deps.peers?.ensureEnvelope(recordId, v, s.address);
    const envelope = await deps.envelopes.get(recordId, v, s.address);
    if (!envelope) fail(404, decision.basis === 'break-glass' ? 'no envelope for you: request escrow release' : 'no envelope for you yet: the patient shares the key after approving');
    return c.json({ recordId, version: v, envelope: Buffer.from(envelope).toString('base64'), access: accessView(decision) }, 200, { 'cache-control': 'no-store' });
  });

  app.post('/records/:id/versions/:v/share', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const body = parse(shareBody, await jsonBody(c));
    const record = await chain.registered(recordId);
    if (getAddress(record.patient) !== s.address) fail(403, 'only the patient shares their records');
    if (record.erasedAt !== 0n) fail(410, 'record erased: nothing more is shared');
    const decision = await deps.access.authorizeRecord({ patient: record.patient, accessor: body.recipient, category: record.category, recordId, permission: Permission.Read });
    if (!decision.allowed) fail(409, `the recipient has no live read grant for this record (${decision.reason})`);
    // The patient may replace a reader's envelope (e.g. after the reader rotated its key).
    await deps.envelopes.put([{ recordId, version: v, recipient: body.recipient, envelope: unb64(body.envelope), kind: 'data-key' }], 'any');
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'share', purpose: 'self', outcome: 'allowed', reason: `to ${body.recipient}` });
    return c.json({ recordId, version: v, recipient: body.recipient }, 201);
  });

  app.post('/records/:id/versions/:v/escrow/release', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const v = parse(version, c.req.param('v'));
    const record = await chain.registered(recordId);
    if (record.erasedAt !== 0n) fail(404, 'record erased');
    const decision = await authorize(s, record, recordId, Permission.Read, 'escrow-release');
    // Escrow is for emergencies: anyone else reads through the patient's own share of the key.
    if (decision.basis !== 'break-glass') fail(409, `escrow is released only under live break-glass; you have access as ${decision.basis}`);
    const local = await deps.escrow.get(recordId, v);
    // Deposited at another hospital: its bundle is fetched (each share opens only with its custodian's key).
    const escrow = local ?? await deps.peers?.escrowBundle(recordId, v, s.address);
    if (!escrow) fail(404, `no escrow shares were deposited for version ${v}`);
    const key = await deps.client.readContract({ address: deps.addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [s.address] });
    if (/^0x0{64}$/.test(key)) fail(409, 'publish your encryption key on chain (Identity.rotateEncryptionKey) before asking for a release');
    const shares = await deps.custodian.release(escrow, bindingOf(recordId, v, getAddress(record.patient)), s.address).catch((error: unknown) => {
      // A bundle another hospital served that this custodian's key does not open: not kept, not a 500.
      if (!local && error instanceof CryptoError) fail(503, 'the escrow bundle another hospital served does not open with this hospital\'s custodian key; it was discarded');
      throw error;
    });
    if (shares.length === 0) fail(404, 'this gateway holds none of the custodian shares for this version');
    // Kept once this hospital's own share opened from it (write-once; a copy already here is left as it is).
    if (!local) await deps.escrow.put(recordId, v, escrow).catch(() => undefined);
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
    const valid = await chain.verifyIntegrity(recordId, v, hash);
    return c.json({ recordId, version: v, integrityHash: hash, valid });
  });

  app.post('/records/:id/erase', async (c) => {
    const s = session(c);
    const recordId = parse(hex32, c.req.param('id'));
    const record = await chain.registered(recordId);
    if (getAddress(record.patient) !== s.address) fail(403, 'only the patient erases their records');
    if (record.erasedAt === 0n) fail(409, 'erase the record on chain first (RecordRegistry.eraseRecord); the gateway then destroys the ciphertext and keys');
    // The shredding itself is queued by the indexer at RecordErased and runs without this call;
    // here we only wait for it and report what the job destroyed.
    await deps.indexed();
    const job = await deps.shredder.settle(recordId);
    if (!job) fail(503, 'the erasure is not indexed yet; try again in a moment');
    await deps.audit.append({ actor: s.address, patient: record.patient, recordId, action: 'erase', purpose: 'self', outcome: 'allowed', reason: `${job.status}: ${job.ciphertextsDestroyed} ciphertexts destroyed` });
    return c.json({
      recordId, erased: true, shredded: job.status === 'done', ciphertextsDestroyed: job.ciphertextsDestroyed, ciphertextsKept: job.ciphertextsKept,
      envelopesDestroyed: job.envelopesDestroyed, escrowSharesDestroyed: job.escrowSharesDestroyed, blindIndexTokensDestroyed: job.blindIndexTokensDestroyed,
    }, job.status === 'done' ? 200 : 202);
  });

  return app;
}
