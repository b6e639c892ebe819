// The gateway's blob cache over real HTTP on a real chain: hot ciphertext is served from memory,
// and a record the patient erased is never served again, from memory or disk (attack: a grantee
// reads, the patient erases, the grantee reads again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScopeKind, ZERO_SCOPE, Permission } from '../../src/sdk/contracts.ts';
import { GatewayError } from '../../src/sdk/gateway.ts';
import { cidFromContentId, openRecordVersion } from '../../src/sdk/records.ts';
import { CachingBlobStore } from '../../src/storage/CachingBlobStore.ts';
import { BlobNotFoundError } from '../../src/storage/errors.ts';
import { filesContaining } from '../../src/storage/blobStoreContract.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

test('blob cache: hot reads come from memory; an erased record\'s ciphertext is evicted and never served again', async () => {
  const h = await gatewayHarness({ storage: { blobCacheBytes: 4 * 2 ** 20 } });
  const { f } = h;
  try {
    const cache = h.gateway.blobs;
    assert.ok(cache instanceof CachingBlobStore, 'the gateway reads through the blob cache');
    const now = await f.latestTimestamp();
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 3600n,
    }]));
    const erased = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HIV test' } }, ['doctor']);
    const kept = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' } }, ['doctor']);
    await h.waitIndexed();
    const doctor = await h.client('doctor');

    // Cold read, then hot reads: the same verified bytes, the later ones from memory.
    for (let i = 0; i < 3; i++) assert.deepEqual(await doctor.getCiphertext(erased.recordId, 1), erased.ciphertext);
    assert.ok(cache.stats().hits >= 2, `hits ${cache.stats().hits}`);
    assert.deepEqual(await doctor.getCiphertext(kept.recordId, 1), kept.ciphertext);

    // The patient erases the first record; the gateway shreds it.
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([erased.recordId]));
    await h.waitIndexed();
    await (await h.client('patient')).erase(erased.recordId);

    // The grantee, and the patient, read again: 404, and nothing is left to serve anywhere.
    await assert.rejects(doctor.getCiphertext(erased.recordId, 1), (e: GatewayError) => e.status === 404);
    const raw = await httpCall(h.gateway.url, 'GET', `/api/records/${erased.recordId}/versions/1/ciphertext`, { token: (await h.client('patient')).sessionToken! });
    assert.equal(raw.status, 404);
    assert.ok(!Buffer.from(raw.text).includes(Buffer.from(erased.ciphertext.subarray(20, 60))));
    await assert.rejects(cache.get(cidFromContentId(erased.contentId)), BlobNotFoundError);
    assert.deepEqual(filesContaining(h.dataDir, erased.ciphertext.subarray(0, 64)), []);

    // Changes nothing else: the other record is still served (from memory) and still opens.
    const hits = cache.stats().hits;
    const bytes = await doctor.getCiphertext(kept.recordId, 1);
    assert.equal(cache.stats().hits, hits + 1);
    const opened = await openRecordVersion({
      ciphertext: bytes, envelope: (await doctor.getEnvelope(kept.recordId, 1)).envelope, privateKey: h.encryption.doctor.privateKey,
      recordId: kept.recordId, version: 1, patient: f.addr.patient, integrityHash: kept.integrityHash,
    });
    assert.equal(opened.integrityVerified, true);
  } finally {
    await h.close();
  }
});
