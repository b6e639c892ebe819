/**
 * Issue 13, finding 5: a fresh account cannot fill the store. Uploads are limited per account
 * (unregistered ones by count and bytes, all of them by bytes), refusals are 413/429 with a message
 * and store nothing, and uploads no record version references are garbage-collected after the
 * grace period, while registered ciphertexts (the attacker's own and the victim's) stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareRecordVersion } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { blobOnDisk, blobsOnDisk, readAndDecrypt, selfRegisteredAttacker } from './recordsAttack.ts';

const resource = { resourceType: 'Observation', status: 'final', code: { text: 'blood pressure' } };
const junk = (n: number) => crypto.getRandomValues(new Uint8Array(n));

test('finding 5: upload quotas per account (413/429, nothing stored) and GC of unregistered uploads after the grace period', async () => {
  const h = await gatewayHarness({
    storage: { quota: { pendingCount: 3, pendingBytes: 10_000, bytes: 20_000, count: 100 }, gcGraceSeconds: 1, gcIntervalSeconds: 3600 },
  });
  try {
    const { f } = h;
    const victim = await h.addRecord('patient', 'patient', resource);
    const attacker = await selfRegisteredAttacker(h, f.keys.outsider);
    const upload = (bytes: Uint8Array) => httpCall(h.gateway.url, 'POST', '/api/blobs', { token: attacker.token, raw: bytes });
    const onDisk = () => blobsOnDisk(h.dataDir).length;

    // Over the unregistered-bytes limit: refused before the body is stored.
    const before = onDisk();
    const big = await upload(junk(12_000));
    assert.equal(big.status, 413);
    assert.match(String(big.json?.error), /upload quota: 0 bytes of your uploads are not registered.*limit of 10000/);
    assert.equal(onDisk(), before);

    // Three junk uploads fit; the fourth is refused with what to do.
    const junkCids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await upload(junk(1000));
      assert.equal(r.status, 201);
      junkCids.push(String(r.json?.cid));
    }
    const fourth = await upload(junk(1000));
    assert.equal(fourth.status, 429);
    assert.match(String(fourth.json?.error), /3 of your uploads are not registered on chain yet \(limit 3\).*deleted 1 s after upload/);
    assert.equal(onDisk(), before + 3);
    // Quotas are per account: the victim still uploads.
    assert.equal((await (await h.client('patient')).uploadCiphertext(junk(500))).cid.startsWith('bafkrei'), true);

    // After the grace period nothing references the junk: collected, and the attacker's quota is free again.
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await h.gateway.collectGarbage(), 4, "the attacker's three and the victim's one unregistered upload");
    assert.ok(junkCids.every((cid) => !blobOnDisk(h.dataDir, cid)));
    assert.equal(blobOnDisk(h.dataDir, victim.cid), true, 'registered ciphertext stays');
    assert.deepEqual(await readAndDecrypt(h, 'patient', victim.recordId, 1, f.addr.patient, victim.integrityHash), resource);

    // Registered uploads count against the total: two 9 kB records fit, a third 9 kB upload does not.
    for (let i = 0; i < 2; i++) {
      const own = await prepareRecordVersion({ plaintext: junk(9_000 - 60), patient: attacker.address, resourceType: 'Binary', recipients: [{ address: attacker.address, publicKey: attacker.encryption.publicKey }] });
      assert.equal((await upload(own.ciphertext)).status, 201);
      await attacker.mined(attacker.contracts.recordRegistry.write.addRecord([own.recordId, attacker.address, own.category, own.contentId, own.integrityHash]));
      // Registered once indexed (until then the upload still counts as pending).
      await h.waitIndexed();
    }
    const third = await upload(junk(9_000));
    assert.equal(third.status, 413);
    assert.match(String(third.json?.error), /you keep \d+ bytes here; this upload would pass the limit of 20000/);
    // Registered ciphertexts survive the collector, however old.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await h.gateway.collectGarbage(), 0);
    assert.equal(blobsOnDisk(h.dataDir).length, 3);
  } finally {
    await h.close();
  }
});
