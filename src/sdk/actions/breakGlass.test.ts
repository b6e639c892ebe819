/**
 * The break-glass actions against a real gateway and chain: opening commits a salted reason on
 * chain and deposits it sealed to the patient and the provider, who read it back checked against
 * the chain; a patient's close ends the access and bars the provider from opening again. Refusals
 * change nothing: an empty reason or a patient without a key sends no transaction, and a stranger
 * cannot close someone else's emergency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex } from 'viem';
import { ConsentAbi } from '../contracts.ts';
import { BreakGlassReasonError, readBreakGlassReason } from '../breakGlassReason.ts';
import { describeRevert } from '../errors.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { closeBreakGlass, openBreakGlass, type SendEmergencyCall } from './breakGlass.ts';

test('openBreakGlass / closeBreakGlass: a sealed, salted reason; a patient\'s close bars reopening; refusals change nothing', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const consent = { address: f.addresses.consent, abi: ConsentAbi } as const;
    let sent = 0;
    // The caller's own transaction (the fixture's sendAs), counted.
    const sendAs = (actor: 'doctor' | 'patient' | 'lab'): SendEmergencyCall => async (call) => {
      sent++;
      return f.sendAs(actor)(call);
    };
    const base = { gateway: await h.client('doctor'), client: f.publicClient, addresses: f.addresses, provider: { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey } };
    const reason = 'suspected opioid overdose';

    // Nothing is sent for a reason that cannot be committed to, or for a patient the reason cannot be sealed to.
    await assert.rejects(openBreakGlass({ ...base, patient: f.addr.patient, code: 'Unconscious', reason: '  ', send: sendAs('doctor') }), BreakGlassReasonError);
    await assert.rejects(openBreakGlass({ ...base, patient: f.addr.outsider, code: 'Unconscious', reason, send: sendAs('doctor') }), /no encryption key on chain/);
    assert.equal(sent, 0);
    assert.equal(await f.read.consent.read.emergencyCount(), 0n);

    const opened = await openBreakGlass({ ...base, patient: f.addr.patient, code: 'Unconscious', reason, send: sendAs('doctor') });
    assert.equal(opened.accessId, 1n);
    assert.deepEqual(opened.reasonReaders, [f.addr.patient, f.addr.doctor]);
    assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.doctor]), true);
    const [event] = await f.publicClient.getContractEvents({ ...consent, eventName: 'EmergencyAccessOpened', fromBlock: 0n });
    assert.equal(event!.args.reasonHash, opened.reasonHash);
    assert.equal(event!.args.until, opened.until);
    assert.notEqual(opened.reasonHash, keccak256(toHex(reason)), 'not the unsalted hash');
    const read = await readBreakGlassReason({ gateway: await h.client('patient'), client: f.publicClient, addresses: f.addresses, accessId: opened.accessId, privateKey: h.encryption.patient.privateKey });
    assert.deepEqual([read.code, read.reason, read.matchesChain, read.provider], ['Unconscious', reason, true, f.addr.doctor]);

    // Attack: another provider ends the doctor's emergency access. Refused by the contract; still live.
    const stranger = await closeBreakGlass({ addresses: f.addresses, patient: f.addr.patient, provider: f.addr.doctor, send: sendAs('lab') }).then(() => undefined, (e: unknown) => e);
    assert.equal(describeRevert(stranger)?.errorName, 'NotRequestParty');
    assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.doctor]), true);

    const closed = await closeBreakGlass({ addresses: f.addresses, patient: f.addr.patient, provider: f.addr.doctor, send: sendAs('patient') });
    assert.deepEqual([closed.accessId, closed.closedBy], [1n, f.addr.patient]);
    assert.match(closed.txHash, /^0x[0-9a-f]{64}$/);
    assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.doctor]), false);
    assert.equal(await f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr.doctor]), true);

    // The patient's close holds: the doctor cannot open again, and no reason is deposited for a refused opening.
    const reopened = await openBreakGlass({ ...base, patient: f.addr.patient, code: 'Other', reason, send: sendAs('doctor') }).then(() => undefined, (e: unknown) => e);
    assert.equal(describeRevert(reopened)?.errorName, 'EmergencyReopenBarred');
    assert.equal(await f.read.consent.read.emergencyCount(), 1n);
  } finally {
    await h.close();
  }
});
