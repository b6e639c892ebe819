import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  IdentityAbi, ProviderKind, ProviderStatus, Role, SuspensionReason, applyAsProviderTypedData, registerPatientTypedData,
} from '../../src/sdk/contracts.ts';
import { chain, encodeAccredit, expectRevert, medchainFixture, randomKey } from './fixture.ts';

const addAdmin = (a: `0x${string}`) => encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [a] });
const setThresholds = (acc: bigint, adm: bigint) => encodeFunctionData({ abi: IdentityAbi, functionName: 'setThresholds', args: [acc, adm] });

test('patients register themselves once, with a key and a metadata hash', async () => {
  const f = await medchainFixture({ setUpActors: false });
  const key = randomKey();
  const meta = randomKey();
  const receipt = await f.mined(f.as('patient').identity.write.registerPatient([key, meta]));
  const [event] = parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'PatientRegistered' });
  assert.equal(event!.args.patient, f.addr.patient);
  assert.equal(await f.read.identity.read.roleOf([f.addr.patient]), Role.Patient);
  assert.equal(await f.read.identity.read.isPatient([f.addr.patient]), true);
  assert.equal(await f.read.identity.read.encryptionKeyOf([f.addr.patient]), key);
  assert.equal((await f.read.identity.read.accountOf([f.addr.patient])).metadataHash, meta);
  await expectRevert(f.as('patient').identity.write.registerPatient([key, meta]), 'AlreadyRegistered');
  await expectRevert(f.as('patient2').identity.write.registerPatient([`0x${'00'.repeat(32)}`, meta]), 'InvalidKey');
  assert.equal(await f.read.identity.read.roleOf([f.addr.patient2]), Role.None);
});

test('encryption keys rotate with history; metadata hash changes; unregistered accounts cannot', async () => {
  const f = await medchainFixture();
  const next = randomKey();
  const first = await f.read.identity.read.encryptionKeyOf([f.addr.patient]);
  await f.mined(f.as('patient').identity.write.rotateEncryptionKey([next]));
  assert.equal(await f.read.identity.read.encryptionKeyOf([f.addr.patient]), next);
  const history = await f.read.identity.read.encryptionKeyHistory([f.addr.patient]);
  assert.deepEqual(history.map((k) => k.publicKey), [first, next]);
  assert.ok(history[1]!.since >= history[0]!.since);
  const meta = randomKey();
  await f.mined(f.as('doctor').identity.write.setMetadataHash([meta]));
  assert.equal((await f.read.identity.read.accountOf([f.addr.doctor])).metadataHash, meta);
  await expectRevert(f.as('outsider').identity.write.rotateEncryptionKey([next]), 'NotRegistered');
  await expectRevert(f.as('outsider').identity.write.setMetadataHash([meta]), 'NotRegistered');
});

test('providers apply, are accredited by the threshold of admins, suspended by one admin, reinstated by the threshold', async () => {
  const f = await medchainFixture({ admins: [], setUpActors: false });
  // Three admins, two approvals needed for accreditation and for admin changes.
  const adminKeys = { admin2: f.addr.admin2, admin3: f.addr.admin3 };
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, addAdmin(adminKeys.admin2)]));
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, addAdmin(adminKeys.admin3)]));
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, setThresholds(2n, 2n)]));
  assert.deepEqual(await f.read.identity.read.admins(), [f.addr.admin, f.addr.admin2, f.addr.admin3]);
  assert.equal(await f.read.identity.read.accreditationThreshold(), 2n);

  await f.mined(f.as('applicant').identity.write.applyAsProvider([ProviderKind.Lab, randomKey(), randomKey()]));
  assert.equal(await f.read.identity.read.providerStatus([f.addr.applicant]), ProviderStatus.Pending);
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), false);

  // A non-admin cannot approve; one approval is not enough; the same admin cannot approve twice.
  await expectRevert(f.as('outsider').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.applicant)]), 'NotAdmin');
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.applicant)]));
  const [, approvals, threshold] = await f.read.identity.read.pendingAction([f.addresses.identity, encodeAccredit(f.addr.applicant)]);
  assert.equal(approvals, 1n);
  assert.equal(threshold, 2n);
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), false);
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.applicant)]), 'AlreadyApproved');
  const receipt = await f.mined(f.as('admin2').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.applicant)]));
  assert.equal(parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'ProviderAccredited' }).length, 1);
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), true);
  assert.equal(await f.read.identity.read.providerKind([f.addr.applicant]), ProviderKind.Lab);

  // Governance functions cannot be called directly, even by an admin.
  await expectRevert(f.as('admin').identity.write.accreditProvider([f.addr.applicant]), 'NotGovernance');
  await expectRevert(f.as('admin').identity.write.addAdmin([f.addr.outsider]), 'NotGovernance');

  // Suspension: any single admin, at once; not by others.
  await expectRevert(f.as('outsider').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.Other]), 'NotAdmin');
  await f.mined(f.as('admin3').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.BreakGlassAbuse]));
  assert.equal(await f.read.identity.read.providerStatus([f.addr.applicant]), ProviderStatus.Suspended);
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), false);
  await expectRevert(f.as('admin').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.Other]), 'InvalidStatus');

  const reinstate = encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [f.addr.applicant] });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, reinstate]));
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), false);
  await f.mined(f.as('admin3').identity.write.approve([f.addresses.identity, reinstate]));
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), true);

  // The same action can be approved again later (a second suspension and reinstatement).
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.Other]));
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, reinstate]));
  await f.mined(f.as('admin2').identity.write.approve([f.addresses.identity, reinstate]));
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), true);
});

test('accrediting requires a pending application; reinstating requires a suspension', async () => {
  const f = await medchainFixture();
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.outsider)]), 'NotProvider');
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.doctor)]), 'InvalidStatus');
  const reinstate = encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [f.addr.doctor] });
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.identity, reinstate]), 'InvalidStatus');
  await expectRevert(f.as('admin').identity.write.suspendProvider([f.addr.patient, SuspensionReason.Other]), 'NotProvider');
  await expectRevert(f.as('patient').identity.write.applyAsProvider([ProviderKind.Doctor, randomKey(), randomKey()]), 'AlreadyRegistered');
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.identity, '0x12']), 'InvalidAction');
  await expectRevert(f.as('admin').identity.write.approve([f.addr.outsider, encodeAccredit(f.addr.doctor)]), 'InvalidAction');
});

test('admin changes: thresholds are bounded, removal lowers thresholds, epochs void stale approvals, the last admin stays', async () => {
  const f = await medchainFixture({ admins: [], setUpActors: false });
  const approve = (actor: 'admin' | 'admin2' | 'admin3', data: `0x${string}`) => f.as(actor).identity.write.approve([f.addresses.identity, data]);
  await expectRevert(approve('admin', setThresholds(2n, 1n)), 'InvalidThreshold');
  await expectRevert(approve('admin', setThresholds(0n, 1n)), 'InvalidThreshold');
  await expectRevert(approve('admin', addAdmin(f.addr.admin)), 'AlreadyAdmin');
  await f.mined(approve('admin', addAdmin(f.addr.admin2)));
  // Adding an admin starts a new epoch, so approvals gathered under the old admin set lapse.
  const beforeAdd = await f.read.identity.read.epoch();
  const added = await f.mined(approve('admin', addAdmin(f.addr.admin3)));
  assert.equal(await f.read.identity.read.epoch(), beforeAdd + 1n, 'addAdmin bumps the epoch');
  // Every state change has its event: the new epoch too (issue 19).
  const started = parseEventLogs({ abi: IdentityAbi, logs: added.logs, eventName: 'EpochStarted' });
  assert.deepEqual(started.map((e) => e.args.epoch), [beforeAdd + 1n]);
  await f.mined(approve('admin', setThresholds(3n, 2n)));
  const epoch = await f.read.identity.read.epoch();

  // A pending approval lapses when the admin set changes.
  await f.mined(f.as('applicant').identity.write.applyAsProvider([ProviderKind.Doctor, randomKey(), randomKey()]));
  await f.mined(approve('admin', encodeAccredit(f.addr.applicant)));
  await f.mined(approve('admin2', encodeAccredit(f.addr.applicant)));
  const remove = encodeFunctionData({ abi: IdentityAbi, functionName: 'removeAdmin', args: [f.addr.admin3] });
  await f.mined(approve('admin', remove));
  await f.mined(approve('admin2', remove));
  assert.equal(await f.read.identity.read.isAdmin([f.addr.admin3]), false);
  assert.equal(await f.read.identity.read.epoch(), epoch + 1n);
  const epochs = await f.publicClient.getContractEvents({ address: f.addresses.identity, abi: IdentityAbi, eventName: 'EpochStarted', fromBlock: 0n });
  assert.equal(epochs.at(-1)?.args.epoch, epoch + 1n, 'removeAdmin announces its epoch');
  assert.equal(await f.read.identity.read.accreditationThreshold(), 2n, 'lowered to the admin count');
  const [, approvals] = await f.read.identity.read.pendingAction([f.addresses.identity, encodeAccredit(f.addr.applicant)]);
  assert.equal(approvals, 0n);
  await expectRevert(f.as('admin3').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.applicant)]), 'NotAdmin');

  const removeAdmin2 = encodeFunctionData({ abi: IdentityAbi, functionName: 'removeAdmin', args: [f.addr.admin2] });
  await f.mined(approve('admin', removeAdmin2));
  await f.mined(approve('admin2', removeAdmin2));
  const removeLast = encodeFunctionData({ abi: IdentityAbi, functionName: 'removeAdmin', args: [f.addr.admin] });
  await expectRevert(approve('admin', removeLast), 'LastAdmin');
});

test('auditors are appointed by governance; devices are registered by their patient', async () => {
  const f = await medchainFixture();
  const setAuditor = encodeFunctionData({ abi: IdentityAbi, functionName: 'setAuditor', args: [f.addr.outsider, true] });
  await expectRevert(f.as('doctor').identity.write.approve([f.addresses.identity, setAuditor]), 'NotAdmin');
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, setAuditor]));
  assert.equal(await f.read.identity.read.isAuditor([f.addr.outsider]), true);

  const forDoctor = await f.deviceSignature('device', f.addr.doctor);
  await expectRevert(f.as('doctor').identity.write.registerDevice([f.addr.device, forDoctor.deadline, forDoctor.signature]), 'NotRegistered');
  const receipt = await f.registerDevice('patient');
  assert.deepEqual(parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'DeviceRegistered' })[0]!.args, { device: f.addr.device, patient: f.addr.patient });
  assert.equal(await f.read.identity.read.deviceOwner([f.addr.device]), f.addr.patient);
  assert.equal(await f.read.identity.read.roleOf([f.addr.device]), Role.Device);
  const again = await f.deviceSignature('device', f.addr.patient2);
  await expectRevert(f.as('patient2').identity.write.registerDevice([f.addr.device, again.deadline, again.signature]), 'AlreadyRegistered');
  await expectRevert(f.as('patient2').identity.write.removeDevice([f.addr.device]), 'NotRegistered');
  await f.mined(f.as('patient').identity.write.removeDevice([f.addr.device]));
  assert.equal(await f.read.identity.read.deviceOwner([f.addr.device]), '0x0000000000000000000000000000000000000000');
});

test('a device is registered only with the device key\'s own signature: no patient can squat an address', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  // Squatting the doctor-to-be's address: no signature, a signature by the squatter, one for another owner, one expired.
  await expectRevert(f.as('patient2').identity.write.registerDevice([f.addr.applicant, now + 600n, '0x']), 'InvalidSignature');
  const bySquatter = await f.deviceSignature('patient2', f.addr.patient2);
  await expectRevert(f.as('patient2').identity.write.registerDevice([f.addr.applicant, bySquatter.deadline, bySquatter.signature]), 'InvalidSignature');
  const forPatient = await f.deviceSignature('applicant', f.addr.patient);
  await expectRevert(f.as('patient2').identity.write.registerDevice([f.addr.applicant, forPatient.deadline, forPatient.signature]), 'InvalidSignature');
  const expired = await f.deviceSignature('applicant', f.addr.patient2, now - 1n);
  await expectRevert(f.as('patient2').identity.write.registerDevice([f.addr.applicant, expired.deadline, expired.signature]), 'SignatureExpired');
  // Nothing changed: the address registers as a provider as it means to.
  assert.equal(await f.read.identity.read.roleOf([f.addr.applicant]), Role.None);
  await f.mined(f.as('applicant').identity.write.applyAsProvider([ProviderKind.Lab, randomKey(), randomKey()]));
  assert.equal(await f.read.identity.read.roleOf([f.addr.applicant]), Role.Provider);

  // A device's signature is used once: after removal, the old signature cannot re-register it.
  const sig = await f.deviceSignature('device', f.addr.patient);
  await f.mined(f.as('patient').identity.write.registerDevice([f.addr.device, sig.deadline, sig.signature]));
  await f.mined(f.as('patient').identity.write.removeDevice([f.addr.device]));
  await expectRevert(f.as('patient').identity.write.registerDevice([f.addr.device, sig.deadline, sig.signature]), 'InvalidSignature');
  assert.equal(await f.read.identity.read.nonces([f.addr.device]), 1n);
});

test('registrations relayed by anyone with the account\'s EIP-712 signature; replays, forgeries and expired ones refused', async () => {
  const f = await medchainFixture({ setUpActors: false });
  const now = await f.latestTimestamp();
  const sign = (actor: 'patient' | 'applicant' | 'outsider', data: Parameters<ReturnType<typeof privateKeyToAccount>['signTypedData']>[0]) => privateKeyToAccount(f.keys[actor]).signTypedData(data);
  const ctx = { chainId: chain.id, identity: f.addresses.identity, nonce: 0n, deadline: now + 600n };
  const key = randomKey();
  const meta = randomKey();
  const patientSig = await sign('patient', registerPatientTypedData({ ...ctx, patient: f.addr.patient, encryptionKey: key, metadataHash: meta }));
  // A forged signature (by another key), or one over other fields, registers nobody.
  const forged = await sign('outsider', registerPatientTypedData({ ...ctx, patient: f.addr.patient, encryptionKey: key, metadataHash: meta }));
  await expectRevert(f.as('relayer').identity.write.registerPatientBySig([f.addr.patient, key, meta, ctx.deadline, forged]), 'InvalidSignature');
  await expectRevert(f.as('relayer').identity.write.registerPatientBySig([f.addr.patient, randomKey(), meta, ctx.deadline, patientSig]), 'InvalidSignature');
  assert.equal(await f.read.identity.read.roleOf([f.addr.patient]), Role.None);

  const receipt = await f.mined(f.as('relayer').identity.write.registerPatientBySig([f.addr.patient, key, meta, ctx.deadline, patientSig]));
  assert.equal(parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'PatientRegistered' })[0]!.args.patient, f.addr.patient);
  assert.equal(await f.read.identity.read.isPatient([f.addr.patient]), true);
  assert.equal(await f.read.identity.read.encryptionKeyOf([f.addr.patient]), key);
  assert.equal(await f.read.identity.read.roleOf([f.addr.relayer]), Role.None, 'the relayer registers nothing for itself');
  await expectRevert(f.as('relayer').identity.write.registerPatientBySig([f.addr.patient, key, meta, ctx.deadline, patientSig]), 'InvalidSignature');

  const applySig = await sign('applicant', applyAsProviderTypedData({ ...ctx, provider: f.addr.applicant, kind: ProviderKind.Hospital, encryptionKey: key, metadataHash: meta }));
  await expectRevert(f.as('relayer').identity.write.applyAsProviderBySig([f.addr.applicant, ProviderKind.Doctor, key, meta, ctx.deadline, applySig]), 'InvalidSignature');
  await f.mined(f.as('relayer').identity.write.applyAsProviderBySig([f.addr.applicant, ProviderKind.Hospital, key, meta, ctx.deadline, applySig]));
  assert.equal(await f.read.identity.read.providerStatus([f.addr.applicant]), ProviderStatus.Pending);
  assert.equal(await f.read.identity.read.providerKind([f.addr.applicant]), ProviderKind.Hospital);

  const late = await sign('outsider', registerPatientTypedData({ ...ctx, deadline: now, patient: f.addr.outsider, encryptionKey: key, metadataHash: meta }));
  await f.mineAt(now + 5n);
  await expectRevert(f.as('relayer').identity.write.registerPatientBySig([f.addr.outsider, key, meta, now, late]), 'SignatureExpired');
  assert.equal(await f.read.identity.read.roleOf([f.addr.outsider]), Role.None);
});
