/**
 * Issue 13, finding 1: a self-registered account must not destroy (or read) another patient's
 * ciphertext by naming its public content id in a record of its own. The attacker reaches the chain
 * only through the gateway's /rpc. Each attack must fail AND change nothing: the victim still reads
 * and decrypts, the blob is still on disk. Also issue 14 item 10: a content id that is no CID gives
 * clean answers, not a 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Permission, RecordRegistryAbi, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { newRecordId, prepareRecordVersion } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { blobOnDisk, readAndDecrypt, revertName, selfRegisteredAttacker } from './recordsAttack.ts';
import { opaquePurpose } from '../purposes.ts';

const resource = { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, valueQuantity: { value: 6.1, unit: '%' } };

test('finding 1: a fresh account cannot claim, read or delete a victim\'s ciphertext through its own record', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const victim = await h.addRecord('patient', 'patient', resource);
    await h.waitIndexed();
    const attacker = await selfRegisteredAttacker(h, f.keys.outsider);
    // The gateway's /rpc shows a member only the logs naming it, but every node of the chain holds
    // them: the attacker is assumed to read the victim's content id from a node (a consortium insider).
    assert.equal((await attacker.publicClient.getContractEvents({ address: f.addresses.recordRegistry, abi: RecordRegistryAbi, eventName: 'RecordAdded', fromBlock: 0n }))
      .find((e) => e.args.recordId === victim.recordId), undefined, 'the gateway does not show another patient\'s events');
    const added = await f.publicClient.getContractEvents({ address: f.addresses.recordRegistry, abi: RecordRegistryAbi, eventName: 'RecordAdded', fromBlock: 0n });
    assert.equal(added.find((e) => e.args.recordId === victim.recordId)?.args.contentId, victim.contentId);
    const stolenId = newRecordId();
    // The registry refuses the victim's content id in the attacker's record…
    assert.equal(await revertName(attacker.contracts.recordRegistry.write.addRecord([stolenId, attacker.address, victim.category, victim.contentId, victim.integrityHash])), 'ContentIdInUse');
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${stolenId}`, { token: attacker.token })).status, 404);
    // …and as a new version of a record the attacker legitimately owns.
    const own = await prepareRecordVersion({ plaintext: new TextEncoder().encode('{"resourceType":"Observation"}'), patient: attacker.address, resourceType: 'Observation', recipients: [{ address: attacker.address, publicKey: attacker.encryption.publicKey }] });
    await attacker.gateway.uploadCiphertext(own.ciphertext);
    await attacker.mined(attacker.contracts.recordRegistry.write.addRecord([own.recordId, attacker.address, own.category, own.contentId, own.integrityHash]));
    await attacker.gateway.depositEnvelopes(own.recordId, 1, own.envelopes);
    assert.equal(await revertName(attacker.contracts.recordRegistry.write.updateRecord([own.recordId, 1, victim.contentId, victim.integrityHash])), 'ContentIdInUse');

    // The attacker erases its own record and asks the gateway to shred it: only its own blob goes.
    await attacker.mined(attacker.contracts.recordRegistry.write.eraseRecord([own.recordId]));
    await h.waitIndexed();
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${own.recordId}/erase`, { token: attacker.token, body: {} });
    assert.equal(erased.status, 200);
    assert.equal(erased.json?.ciphertextsDestroyed, 1);
    assert.equal(blobOnDisk(h.dataDir, own.cid), false);
    // Erasing someone else's record is refused.
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${victim.recordId}/erase`, { token: attacker.token, body: {} })).status, 403);

    // Nothing of the victim's changed: the blob is on disk, the victim reads and decrypts it.
    assert.equal(blobOnDisk(h.dataDir, victim.cid), true);
    assert.deepEqual(await readAndDecrypt(h, 'patient', victim.recordId, 1, f.addr.patient, victim.integrityHash), resource);
  } finally {
    await h.close();
  }
});

test('finding 1, front-running: a content id registered first by someone else serves and destroys nothing of the uploader\'s', async () => {
  const h = await gatewayHarness({ storage: { gcGraceSeconds: 1, gcIntervalSeconds: 3600 } });
  try {
    const { f } = h;
    const patient = await h.client('patient');
    // The victim uploads; before its addRecord is mined the attacker registers the same content id
    // (seen in the victim's pending transaction) in a record of its own.
    const victim = await prepareRecordVersion({
      plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient: f.addr.patient, resourceType: 'Observation',
      recipients: [{ address: f.addr.patient, publicKey: h.encryption.patient.publicKey }],
    });
    await patient.uploadCiphertext(victim.ciphertext);
    const attacker = await selfRegisteredAttacker(h, f.keys.outsider);
    const squatted = newRecordId();
    await attacker.mined(attacker.contracts.recordRegistry.write.addRecord([squatted, attacker.address, victim.category, victim.contentId, victim.integrityHash]));
    await h.waitIndexed();

    // Registered on chain, but the attacker never uploaded these bytes: not served under its record…
    const read = await httpCall(h.gateway.url, 'GET', `/api/records/${squatted}/versions/1/ciphertext`, { token: attacker.token });
    assert.equal(read.status, 404);
    assert.match(String(read.json?.error), /not held by this gateway for this version/);
    // …no envelopes can be attached to it…
    const deposit = await httpCall(h.gateway.url, 'POST', `/api/records/${squatted}/versions/1/envelopes`, {
      token: attacker.token, body: { envelopes: [{ recipient: attacker.address, envelope: 'AAAA' }] },
    });
    assert.equal(deposit.status, 409);
    // …and erasing it destroys nothing of the victim's.
    await attacker.mined(attacker.contracts.recordRegistry.write.eraseRecord([squatted]));
    await h.waitIndexed();
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${squatted}/erase`, { token: attacker.token, body: {} });
    assert.equal(erased.status, 200);
    assert.equal(erased.json?.ciphertextsDestroyed, 0);
    assert.equal(erased.json?.ciphertextsKept, 1);
    assert.equal(blobOnDisk(h.dataDir, victim.cid), true);
    const uploads = await h.gateway.db.query('SELECT uploader FROM blob_uploads WHERE cid = $1', [victim.cid]);
    assert.deepEqual(uploads, [{ uploader: f.addr.patient.toLowerCase() }]);

    // The cost to the victim is a retry: its content id is taken, so it seals again (new key, new CID) and writes.
    assert.equal(await revertName(h.f.as('patient').recordRegistry.write.addRecord([victim.recordId, f.addr.patient, victim.category, victim.contentId, victim.integrityHash])), 'ContentIdInUse');
    const retry = await h.addRecord('patient', 'patient', resource);
    assert.deepEqual(await readAndDecrypt(h, 'patient', retry.recordId, 1, f.addr.patient, retry.integrityHash), resource);
    // The squatted upload can never be registered by its uploader: it is garbage after the grace period; the retry stays.
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await h.gateway.collectGarbage(), 1);
    assert.equal(blobOnDisk(h.dataDir, victim.cid), false);
    assert.equal(blobOnDisk(h.dataDir, retry.cid), true);
    assert.deepEqual(await readAndDecrypt(h, 'patient', retry.recordId, 1, f.addr.patient, retry.integrityHash), resource);
  } finally {
    await h.close();
  }
});

test('issue 14 item 10: a content id that is no CID gets clean answers, not a 500', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const until = (await f.latestTimestamp()) + 3600n;
    await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until }]));
    const good = await h.addRecord('patient', 'patient', resource);
    // A write grantee registers a version whose "content id" is arbitrary bytes.
    await f.mined(f.as('doctor').recordRegistry.write.updateRecord([good.recordId, 1, '0xdeadbeef', good.integrityHash]));
    await h.waitIndexed();
    const patient = (await h.client('patient')).sessionToken!;
    const doctor = (await h.client('doctor')).sessionToken!;

    const detail = await httpCall(h.gateway.url, 'GET', `/api/records/${good.recordId}`, { token: patient });
    assert.equal(detail.status, 200);
    const versions = detail.json?.versions as Array<{ version: number; cid: string | null; note?: string }>;
    assert.equal(versions[0]!.cid, good.cid);
    assert.equal(versions[1]!.cid, null);
    assert.match(String(versions[1]!.note), /not a CIDv1/);

    const ciphertext = await httpCall(h.gateway.url, 'GET', `/api/records/${good.recordId}/versions/2/ciphertext`, { token: patient });
    assert.equal(ciphertext.status, 404);
    assert.match(String(ciphertext.json?.error), /not a CIDv1/);
    const deposit = await httpCall(h.gateway.url, 'POST', `/api/records/${good.recordId}/versions/2/envelopes`, {
      token: doctor, body: { envelopes: [{ recipient: f.addr.patient, envelope: 'AAAA' }] },
    });
    assert.equal(deposit.status, 409);
    assert.match(String(deposit.json?.error), /not a CIDv1/);
    // No stack trace, and version 1 still reads and decrypts.
    for (const r of [detail, ciphertext, deposit]) assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    assert.deepEqual(await readAndDecrypt(h, 'patient', good.recordId, 1, f.addr.patient, good.integrityHash), resource);

    // Erasing a record with such a version still shreds what it holds.
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([good.recordId]));
    await h.waitIndexed();
    const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${good.recordId}/erase`, { token: patient, body: {} });
    assert.equal(erased.status, 200);
    assert.equal(erased.json?.ciphertextsDestroyed, 1);
    assert.equal(erased.json?.shredded, true);
  } finally {
    await h.close();
  }
});

test('an upgraded data directory: ciphertexts stored before uploads were recorded stay readable, bound to their first author', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const record = await h.addRecord('patient', 'patient', resource);
    await h.waitIndexed();
    // As before this version of the gateway: no upload rows, no backfill done.
    await h.gateway.db.query('DELETE FROM blob_uploads');
    await h.gateway.db.query(`DELETE FROM schema_migrations WHERE id = 'blob-uploads-backfill-1'`);
    const token = (await h.client('patient')).sessionToken!;
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${record.recordId}/versions/1/ciphertext`, { token })).status, 404);
    await h.restart();
    assert.deepEqual(await h.gateway.db.query('SELECT uploader, cid FROM blob_uploads'), [{ uploader: f.addr.patient.toLowerCase(), cid: record.cid }]);
    assert.deepEqual(await readAndDecrypt(h, 'patient', record.recordId, 1, f.addr.patient, record.integrityHash), resource);
  } finally {
    await h.close();
  }
});
