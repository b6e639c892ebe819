/**
 * Issue 13, finding 3: crypto-shredding follows the chain's RecordErased event itself — durably,
 * exactly once, retried after a crash — whether or not anyone calls the gateway, and
 * POST /api/records/:id/erase reports what was actually destroyed (from the job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { prepareRecordVersion } from '../../src/sdk/records.ts';
import type { StorageOptions } from '../../src/gateway/server.ts';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';
import { blobOnDisk, envelopeRows, escrowRows } from './recordsAttack.ts';
import { opaquePurpose } from '../purposes.ts';

const resource = (text: string) => ({ resourceType: 'Observation', status: 'final', code: { text } });

/** A record with two versions, envelopes for the patient and the doctor, escrow shares and blind-index tokens. */
async function twoVersionRecord(h: Harness) {
  const { f } = h;
  const until = (await f.latestTimestamp()) + 3600n;
  await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until }]));
  const patient = await h.client('patient');
  const escrow = await patient.escrowConfig();
  const v1 = await h.addRecord('patient', 'patient', resource('v1'), ['doctor']);
  const v2 = await prepareRecordVersion({
    plaintext: new TextEncoder().encode(JSON.stringify(resource('v2'))), patient: f.addr.patient, resourceType: 'Observation', recordId: v1.recordId, version: 2,
    recipients: [{ address: f.addr.patient, publicKey: h.encryption.patient.publicKey }, { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey }], escrow,
  });
  await patient.uploadCiphertext(v2.ciphertext);
  await f.mined(f.as('patient').recordRegistry.write.updateRecord([v1.recordId, 1, v2.contentId, v2.integrityHash]));
  await patient.depositEnvelopes(v1.recordId, 2, v2.envelopes, ['a1b2c3d4e5f60718', '0011223344556677'], v2.escrow);
  return { recordId: v1.recordId, cids: [v1.cid, v2.cid] };
}

async function leftovers(h: Harness, recordId: Hex) {
  const tokens = await h.gateway.db.query('SELECT token FROM record_tokens WHERE record_id = $1', [recordId]);
  const escrow = await escrowRows(h, recordId);
  return { envelopes: (await envelopeRows(h, recordId)).length, shares: escrow.shares.length, bundles: escrow.bundles.length, tokens: tokens.length };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('finding 3: the erasure on chain shreds by itself; a late erase call reports what was destroyed', async () => {
  const h = await gatewayHarness({ storage: { shredIntervalMs: 100 } });
  try {
    const { f } = h;
    const { recordId, cids } = await twoVersionRecord(h);
    assert.deepEqual(await leftovers(h, recordId), { envelopes: 4, shares: 2, bundles: 1, tokens: 2 });
    const token = (await h.client('patient')).sessionToken!;
    // Asking before the erasure on chain is refused and changes nothing.
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token, body: {} })).status, 409);
    assert.ok(cids.every((cid) => blobOnDisk(h.dataDir, cid)));

    // Only the chain transaction: nobody calls the gateway.
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([recordId]));
    await until('the shredder', async () => cids.every((cid) => !blobOnDisk(h.dataDir, cid)) && (await leftovers(h, recordId)).envelopes === 0);
    assert.deepEqual(await leftovers(h, recordId), { envelopes: 0, shares: 0, bundles: 0, tokens: 0 });

    // Long after (the indexer cleared the content ids ages ago), the call reports the job's own counts.
    await new Promise((r) => setTimeout(r, 700));
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token, body: {} });
    assert.equal(erased.status, 200);
    assert.deepEqual(erased.json, {
      recordId, erased: true, shredded: true, ciphertextsDestroyed: 2, ciphertextsKept: 0, envelopesDestroyed: 4, escrowSharesDestroyed: 2, blindIndexTokensDestroyed: 2,
    });
    // Asked again: the same answer, nothing destroyed twice.
    assert.deepEqual((await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token, body: {} })).json, erased.json);
    // Nothing erased is readable.
    for (const path of [`/api/records/${recordId}/versions/1/ciphertext`, `/api/records/${recordId}/versions/2/envelope`]) {
      assert.equal((await httpCall(h.gateway.url, 'GET', path, { token })).status, 404);
    }
    // Others may not ask.
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token: (await h.client('doctor')).sessionToken!, body: {} })).status, 403);
  } finally {
    await h.close();
  }
});

test('finding 3: a reader re-uploading the ciphertext it read does not keep an erased record on disk', async () => {
  const h = await gatewayHarness({ storage: { shredIntervalMs: 100, gcGraceSeconds: 1, gcIntervalSeconds: 3600 } });
  try {
    const { f } = h;
    const { recordId, cids } = await twoVersionRecord(h);
    const doctor = await h.client('doctor');
    const copy = await doctor.uploadCiphertext(await doctor.getCiphertext(recordId, 1));
    assert.equal(copy.cid, cids[0]);
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([recordId]));
    await until('the shredder', async () => (await h.gateway.db.query<{ status: string }>('SELECT status FROM shred_jobs WHERE record_id = $1', [recordId]))[0]?.status === 'done');
    assert.ok(cids.every((cid) => !blobOnDisk(h.dataDir, cid)), 'both versions\' ciphertexts are gone');
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token: (await h.client('patient')).sessionToken!, body: {} });
    assert.equal(erased.json?.ciphertextsDestroyed, 2);
    // The copy cannot come back through the collector or a new registration either.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await h.gateway.collectGarbage(), 0);
    assert.deepEqual(await h.gateway.db.query('SELECT cid FROM blob_uploads WHERE cid = $1', [cids[0]]), []);
  } finally {
    await h.close();
  }
});

test('finding 3: a shredding job interrupted mid-way is finished after a restart, exactly once', async () => {
  const storage: StorageOptions = {
    shredIntervalMs: 100,
    // The "crash": right after the first blob is deleted, before the job records it.
    afterShredBlobDeleted: () => { throw new Error('simulated crash after a blob deletion'); },
  };
  const h = await gatewayHarness({ storage });
  try {
    const { f } = h;
    const { recordId, cids } = await twoVersionRecord(h);
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([recordId]));
    await h.waitIndexed();
    await until('the first blob deletion', async () => cids.filter((cid) => blobOnDisk(h.dataDir, cid)).length === 1);
    const [job] = await h.gateway.db.query<{ status: string; last_error: string }>('SELECT status, last_error FROM shred_jobs WHERE record_id = $1', [recordId]);
    assert.equal(job!.status, 'pending');
    assert.match(job!.last_error, /simulated crash/);
    // The SQL half did not run: keys are still there, to be destroyed with the job's completion.
    assert.equal((await leftovers(h, recordId)).envelopes, 4);

    // Restart without the fault: the job is picked up on start and finished.
    storage.afterShredBlobDeleted = undefined;
    await h.restart();
    await until('the resumed job', async () => (await h.gateway.db.query<{ status: string }>('SELECT status FROM shred_jobs WHERE record_id = $1', [recordId]))[0]!.status === 'done');
    assert.ok(cids.every((cid) => !blobOnDisk(h.dataDir, cid)));
    assert.deepEqual(await leftovers(h, recordId), { envelopes: 0, shares: 0, bundles: 0, tokens: 0 });
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token: (await h.client('patient')).sessionToken!, body: {} });
    assert.equal(erased.json?.ciphertextsDestroyed, 2, 'the blob deleted before the crash still counts');
    assert.equal(erased.json?.envelopesDestroyed, 4);
    // Running the worker again changes nothing (the job is done once).
    assert.equal(await h.gateway.shredPending(), 0);
    assert.deepEqual((await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token: (await h.client('patient')).sessionToken!, body: {} })).json, erased.json);
  } finally {
    await h.close();
  }
});

test('finding 3: a gateway killed with SIGKILL right after a shredding job deleted its first blob finishes the job after restart', async () => {
  const storage: StorageOptions = { shredIntervalMs: 3_600_000 };
  const h = await gatewayHarness({ storage });
  // The chain over HTTP for the child gateway (the harness's EDR runs in this process).
  const bridge = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const call = JSON.parse(body) as { id: unknown; method: string; params?: unknown[] };
      h.f.provider.request({ method: call.method, params: call.params ?? [] } as never).then(
        (result: unknown) => res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result })),
        (error: { code?: number; message?: string; data?: unknown }) => res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, error: { code: error.code ?? -32603, message: error.message ?? 'error', data: error.data } })),
      );
    });
  });
  await new Promise<void>((ok) => bridge.listen(0, '127.0.0.1', ok));
  const rpcUrl = `http://127.0.0.1:${(bridge.address() as { port: number }).port}`;
  try {
    const { f } = h;
    const { recordId, cids } = await twoVersionRecord(h);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'shredChild.ts'), rpcUrl, h.dataDir, JSON.stringify(f.addresses), f.keys.admin], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.once('exit', (_code, signal) => ok(signal)));
    await new Promise<void>((ok, fail) => { child.stdout!.once('data', () => ok()); child.once('exit', () => fail(new Error('shred child exited early'))); });

    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([recordId]));
    assert.equal(await exited, 'SIGKILL', 'the child died at the injected point');
    assert.equal(cids.filter((cid) => blobOnDisk(h.dataDir, cid)).length, 1, 'one blob deleted, the other not yet');
    await h.waitIndexed();
    const [job] = await h.gateway.db.query<{ status: string; attempts: number | string }>('SELECT status, attempts FROM shred_jobs WHERE record_id = $1', [recordId]);
    assert.equal(job!.status, 'pending');
    assert.equal((await leftovers(h, recordId)).envelopes, 4, 'keys not yet destroyed: the job is not done');

    // Restart (the job runs at start): finished once, everything gone, the counts true.
    storage.shredIntervalMs = 100;
    await h.restart();
    await until('the resumed job', async () => (await h.gateway.db.query<{ status: string }>('SELECT status FROM shred_jobs WHERE record_id = $1', [recordId]))[0]!.status === 'done');
    assert.ok(cids.every((cid) => !blobOnDisk(h.dataDir, cid)));
    assert.deepEqual(await leftovers(h, recordId), { envelopes: 0, shares: 0, bundles: 0, tokens: 0 });
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${recordId}/erase`, { token: (await h.client('patient')).sessionToken!, body: {} });
    assert.equal(erased.status, 200);
    assert.equal(erased.json?.ciphertextsDestroyed, 2);
    assert.equal(erased.json?.envelopesDestroyed, 4);
    assert.equal(erased.json?.escrowSharesDestroyed, 2);
  } finally {
    bridge.close();
    await h.close();
  }
});
