/**
 * proveAuditEntry against a real gateway and chain: an entry in an open period has no proof yet
 * (NotFoundError); a closed period not yet anchored does not verify; once anchored the entry
 * verifies, and an entry the gateway showed differently (a denial shown as allowed) does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../errors.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { proveAuditEntry } from './proveAuditEntry.ts';

test('proveAuditEntry: no proof before the period closes, none verified before anchoring, verified after; a changed entry fails', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Condition', code: { text: 'asthma' } });
    await (await h.client('doctor')).getRecord(record.recordId).catch(() => undefined);
    const patient = await h.client('patient');
    const { entries } = await patient.audit({ patient: f.addr.patient });
    const denial = entries.find((e) => e.outcome === 'denied')!;
    assert.ok(denial, 'the doctor\'s read without a grant is logged as denied');
    const prove = (expected = denial) => proveAuditEntry({ gateway: patient, client: f.publicClient, addresses: f.addresses, seq: expected.seq, expected });

    await assert.rejects(prove(), NotFoundError);

    await h.gateway.accessLog.closePeriod();
    const unanchored = await prove();
    assert.deepEqual([unanchored.anchored, unanchored.matchesEntry, unanchored.verified, unanchored.anchor.entryCount], [false, true, false, 0n]);

    assert.equal(await h.gateway.accessLog.anchorPending(), 1);
    const proven = await prove();
    assert.deepEqual([proven.anchored, proven.matchesEntry, proven.verified], [true, true, true]);
    assert.equal(proven.anchor.root, proven.proof.root);
    assert.equal(proven.anchor.entryCount, BigInt(proven.proof.treeSize));

    // Attack: the listing showed the denial as allowed. The anchored proof is of what was logged, so it does not verify.
    const shown = await prove({ ...denial, outcome: 'allowed' });
    assert.deepEqual([shown.anchored, shown.matchesEntry, shown.verified], [true, false, false]);
  } finally {
    await h.close();
  }
});
