/**
 * allowEmergencyReopen against a real gateway and chain: after the patient's close barred the
 * doctor, the patient's allow lets the doctor open emergency access again. Refusals change
 * nothing: another provider cannot lift the bar, and lifting a bar that is not there is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRevert } from '../errors.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { closeBreakGlass, openBreakGlass } from './breakGlass.ts';
import { allowEmergencyReopen } from './allowEmergencyReopen.ts';

test('allowEmergencyReopen: the patient lifts the bar their close set; a stranger cannot, and an unbarred provider is refused', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const { sendAs } = f;
    const barred = () => f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr.doctor]);
    const open = async () => openBreakGlass({
      gateway: await h.client('doctor'), client: f.publicClient, addresses: f.addresses, patient: f.addr.patient,
      provider: { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey }, code: 'Unconscious', reason: 'found unresponsive', send: sendAs('doctor'),
    });
    const allow = (actor: 'patient' | 'lab') => allowEmergencyReopen({ addresses: f.addresses, patient: f.addr.patient, provider: f.addr.doctor, send: sendAs(actor) });

    // Nothing to lift yet.
    assert.equal(describeRevert(await allow('patient').then(() => undefined, (e: unknown) => e))?.errorName, 'EmergencyReopenNotBarred');

    await open();
    await closeBreakGlass({ addresses: f.addresses, patient: f.addr.patient, provider: f.addr.doctor, send: sendAs('patient') });
    assert.equal(await barred(), true);

    // Attack: another provider lifts the patient's bar on the doctor. Refused; the bar holds.
    assert.equal(describeRevert(await allow('lab').then(() => undefined, (e: unknown) => e))?.errorName, 'NotGovernance');
    assert.equal(await barred(), true);

    const allowed = await allow('patient');
    assert.equal(allowed.allowedBy, f.addr.patient);
    assert.match(allowed.txHash, /^0x[0-9a-f]{64}$/);
    assert.equal(await barred(), false);
    const reopened = await open();
    assert.equal(reopened.accessId, 2n);
    assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.doctor]), true);
  } finally {
    await h.close();
  }
});
