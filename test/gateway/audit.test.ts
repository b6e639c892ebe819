/**
 * The tamper-evident trail: accesses are logged, periods are anchored on chain, every entry's
 * inclusion proof verifies against the anchored root — across a gateway restart and a failed
 * anchoring that is retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData } from 'viem';
import { IdentityAbi } from '../../src/sdk/contracts.ts';
import { verifyInclusion } from '../../src/sdk/auditProof.ts';
import { gatewayHarness, httpCall } from './harness.ts';

test('access log: entries, anchored roots, inclusion proofs checked against the chain, restart and retry', async () => {
  // The gateway operates with an account that may not anchor yet: the first anchoring fails.
  const h = await gatewayHarness({ operator: 'outsider' });
  try {
    const { f } = h;
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Condition', code: { text: 'asthma' } });
    const doctor = await h.client('doctor');
    await assert.rejects(doctor.getRecord(record.recordId), /403/);
    const patient = await h.client('patient');
    await patient.getRecord(record.recordId);

    const first = await h.gateway.accessLog.closePeriod();
    assert.ok(first && first.count >= 3, 'deposit, denial and read are in the first period');
    await assert.rejects(h.gateway.accessLog.anchorPending(), /NotAnchorer/);
    assert.equal((await patient.auditPeriods()).periods[0]!.anchorTx, null);

    // The operator becomes an admin; after a restart the pending period is anchored.
    await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [f.addr.outsider] })]));
    await h.restart();
    assert.equal(await h.gateway.accessLog.anchorPending(), 1);

    // More accesses after the restart continue the sequence in a second period.
    const patientAgain = await h.client('patient');
    await patientAgain.getCiphertext(record.recordId, 1);
    await (await h.client('lab')).getRecord(record.recordId).catch(() => undefined);
    await h.gateway.accessLog.closePeriod();
    assert.equal(await h.gateway.accessLog.anchorPending(), 1);

    const { entries } = await patientAgain.audit({ patient: f.addr.patient, limit: 1000 });
    assert.deepEqual(entries.map((e) => e.seq), entries.map((_, i) => i + 1), 'one unbroken sequence across the restart');
    assert.ok(entries.some((e) => e.actor === f.addr.doctor.toLowerCase() && e.outcome === 'denied' && e.reason === 'no-grant'));
    assert.ok(entries.some((e) => e.actor === f.addr.lab.toLowerCase() && e.outcome === 'denied'));
    for (const e of entries) assert.doesNotMatch(JSON.stringify(e), /asthma/i, 'no health information in the log');

    const periods = (await patientAgain.auditPeriods()).periods;
    assert.equal(periods.length, 2);
    for (const entry of entries) {
      const proof = await patientAgain.auditProof(entry.seq);
      const anchor = await f.read.accessLogAnchor.read.getAnchor([proof.gateway, BigInt(proof.periodId)]);
      assert.equal(anchor.root, proof.root);
      assert.ok(verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount }), `entry ${entry.seq} is in the anchored period ${proof.periodId}`);
      assert.ok(!verifyInclusion({ ...proof, entry: { ...proof.entry, outcome: proof.entry.outcome === 'allowed' ? 'denied' : 'allowed' } }, { root: anchor.root, entryCount: anchor.entryCount }));
    }

    // Others may not read the patient's log or proofs; an auditor-less provider is refused.
    const token = (await h.client('doctor')).sessionToken!;
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/audit?patient=${f.addr.patient}`, { token })).status, 403);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/audit/${entries[0]!.seq}/proof`, { token: (await h.client('lab')).sessionToken! })).status, 403);
  } finally {
    await h.close();
  }
});
