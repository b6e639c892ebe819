import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEventLogs, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  ConsentAbi, GrantState, IdentityAbi, Permission, RequestStatus, ScopeKind, SuspensionReason, ZERO_SCOPE,
  extendTypedData, grantTypedData, recordCategory, revokeTypedData, type GrantTerms,
} from '../../src/sdk/contracts.ts';
import { expectRevert, medchainFixture, randomKey, type Fixture } from './fixture.ts';
import { opaquePurpose } from '../../test/purposes.ts';

const { Read, Write, ReadWrite } = Permission;

function terms(grantee: Address, from: bigint, until: bigint, over: Partial<GrantTerms> = {}): GrantTerms {
  return { grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Read, purpose: opaquePurpose('Treatment'), validFrom: from, validUntil: until, ...over };
}

async function authorizedAt(f: Fixture, ts: bigint, grantee: Address, kind: number, value: Hex, permission: number) {
  const blockNumber = await f.mineAt(ts);
  return f.read.consent.read.isAuthorized([f.addr.patient, grantee, kind, value, permission], { blockNumber });
}

async function createGrant(f: Fixture, t: GrantTerms): Promise<bigint> {
  const receipt = await f.mined(f.as('patient').consent.write.grant([t]));
  return parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' })[0]!.args.grantId;
}

test('a grant is live exactly from validFrom (inclusive) to validUntil (exclusive)', async () => {
  const f = await medchainFixture();
  const t0 = await f.latestTimestamp();
  const from = t0 + 100n;
  const until = t0 + 200n;
  const id = await createGrant(f, terms(f.addr.doctor, from, until));
  assert.equal(await f.read.consent.read.grantState([id]), GrantState.Upcoming);
  assert.equal(await authorizedAt(f, from - 1n, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), false);
  assert.equal(await authorizedAt(f, from, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), true);
  assert.equal(await f.read.consent.read.grantState([id]), GrantState.Active);
  assert.equal(await authorizedAt(f, until - 1n, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), true);
  assert.equal(await authorizedAt(f, until, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), false);
  assert.equal(await f.read.consent.read.grantState([id]), GrantState.Expired);
  const g = await f.read.consent.read.getGrant([id]);
  assert.equal(g.patient, f.addr.patient);
  assert.equal(g.validFrom, from);
  assert.equal(g.validUntil, until);
});

test('scopes: all covers everything; a category or a record covers only itself; permissions are exact', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  const obs = recordCategory('Observation');
  const cond = recordCategory('Condition');
  const record = randomKey();
  await createGrant(f, terms(f.addr.doctor, 0n, now + 1000n, { scopeKind: ScopeKind.Category, scopeValue: obs, permissions: ReadWrite }));
  await createGrant(f, terms(f.addr.lab, 0n, now + 1000n, { scopeKind: ScopeKind.Record, scopeValue: record, permissions: Read }));
  await createGrant(f, terms(f.addr.hospital, 0n, now + 1000n, { permissions: Write, purpose: opaquePurpose('Research') }));
  const is = (who: Address, kind: number, value: Hex, p: number) => f.read.consent.read.isAuthorized([f.addr.patient, who, kind, value, p]);
  assert.equal(await is(f.addr.doctor, ScopeKind.Category, obs, ReadWrite), true);
  assert.equal(await is(f.addr.doctor, ScopeKind.Category, cond, Read), false);
  assert.equal(await is(f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), false);
  assert.equal(await is(f.addr.lab, ScopeKind.Record, record, Read), true);
  assert.equal(await is(f.addr.lab, ScopeKind.Record, record, Write), false);
  assert.equal(await is(f.addr.lab, ScopeKind.Record, randomKey(), Read), false);
  assert.equal(await is(f.addr.hospital, ScopeKind.Category, cond, Write), true);
  assert.equal(await is(f.addr.hospital, ScopeKind.Category, cond, Read), false);
  const can = (who: Address, cat: Hex, rec: Hex, p: number) => f.read.consent.read.canAccessRecord([f.addr.patient, who, cat, rec, p]);
  assert.equal(await can(f.addr.doctor, obs, randomKey(), Write), true);
  assert.equal(await can(f.addr.lab, cond, record, Read), true);
  assert.equal(await can(f.addr.lab, cond, randomKey(), Read), false);
  assert.equal(await can(f.addr.patient, cond, randomKey(), ReadWrite), true, 'the patient themself');
  assert.equal(await can(f.addr.outsider, cond, record, Read), false);
  await expectRevert(f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, 0]), 'InvalidPermissions');
  // Other patients' records are not covered.
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient2, f.addr.doctor, ScopeKind.Category, obs, Read]), false);
});

test('invalid grants are refused and change nothing', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  const g = (over: Partial<GrantTerms>) => f.as('patient').consent.write.grant([terms(f.addr.doctor, 0n, now + 100n, over)]);
  await expectRevert(f.as('outsider').consent.write.grant([terms(f.addr.doctor, 0n, now + 100n)]), 'NotPatient');
  await expectRevert(f.as('doctor').consent.write.grant([terms(f.addr.lab, 0n, now + 100n)]), 'NotPatient');
  await expectRevert(g({ grantee: f.addr.outsider }), 'InvalidGrantee');
  await expectRevert(g({ grantee: f.addr.patient }), 'InvalidGrantee');
  await expectRevert(g({ grantee: f.addr.applicant }), 'InvalidGrantee');
  await expectRevert(g({ scopeKind: ScopeKind.Category }), 'InvalidScope');
  await expectRevert(g({ scopeValue: randomKey() }), 'InvalidScope');
  await expectRevert(g({ permissions: 0 }), 'InvalidPermissions');
  await expectRevert(g({ permissions: 4 }), 'InvalidPermissions');
  await expectRevert(g({ validFrom: now + 200n }), 'InvalidWindow');
  await expectRevert(g({ validFrom: now - 100n, validUntil: now - 1n }), 'InvalidWindow');
  assert.equal(await f.read.consent.read.grantCount(), 0n);
});

test('revoke ends a grant now; extend moves its end; only the patient may; not after it ended', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  const id = await createGrant(f, terms(f.addr.doctor, 0n, now + 100n));
  await expectRevert(f.as('doctor').consent.write.revoke([id]), 'NotGrantPatient');
  await expectRevert(f.as('patient2').consent.write.extend([id, now + 500n]), 'NotGrantPatient');
  await expectRevert(f.as('patient').consent.write.extend([id, now + 50n]), 'InvalidWindow');
  await expectRevert(f.as('patient').consent.write.revoke([999n]), 'UnknownGrant');
  await f.mined(f.as('patient').consent.write.extend([id, now + 500n]));
  assert.equal((await f.read.consent.read.getGrant([id])).validUntil, now + 500n);
  assert.equal(await authorizedAt(f, now + 300n, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read), true);
  const receipt = await f.mined(f.as('patient').consent.write.revoke([id]));
  assert.equal(parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantRevoked' }).length, 1);
  assert.equal(await f.read.consent.read.grantState([id]), GrantState.Revoked);
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read]), false);
  await expectRevert(f.as('patient').consent.write.revoke([id]), 'GrantNotLive');
  await expectRevert(f.as('patient').consent.write.extend([id, now + 900n]), 'GrantNotLive');

  // An expired grant cannot be extended back to life.
  const t = await f.latestTimestamp();
  const short = await createGrant(f, terms(f.addr.lab, 0n, t + 10n));
  await f.mineAt(t + 10n);
  await expectRevert(f.as('patient').consent.write.extend([short, t + 1000n]), 'GrantNotLive');
});

test('a new grant for the same slot supersedes the current one', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  const first = await createGrant(f, terms(f.addr.doctor, 0n, now + 1000n, { permissions: ReadWrite }));
  const receipt = await f.mined(f.as('patient').consent.write.grant([terms(f.addr.doctor, 0n, now + 50n)]));
  const [superseded] = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantSuperseded' });
  assert.equal(superseded!.args.grantId, first);
  assert.equal(await f.read.consent.read.grantState([first]), GrantState.Revoked);
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Write]), false);
  assert.equal(await f.read.consent.read.currentGrant([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE]), 2n);
  assert.deepEqual(await f.read.consent.read.grantsOfPatient([f.addr.patient]), [1n, 2n]);
  assert.deepEqual(await f.read.consent.read.grantsOfGrantee([f.addr.doctor]), [1n, 2n]);
});

test('a suspended provider holds no live grant and no emergency access; reinstated, the grant is back', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  await createGrant(f, terms(f.addr.doctor, 0n, now + 1000n));
  await f.mined(f.as('doctor').consent.write.openEmergencyAccess([f.addr.patient2, randomKey()]));
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.doctor, SuspensionReason.BreakGlassAbuse]));
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read]), false);
  assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient2, f.addr.doctor]), false);
  await expectRevert(f.as('doctor').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]), 'NotActiveProvider');
  const reinstate = encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [f.addr.doctor] });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, reinstate]));
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read]), true);
});

test('devices: a patient may grant write to their own device only', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  await f.registerDevice('patient');
  const obs = recordCategory('Observation');
  await expectRevert(f.as('patient2').consent.write.grant([terms(f.addr.device, 0n, now + 100n)]), 'InvalidGrantee');
  await createGrant(f, terms(f.addr.device, 0n, now + 100n, { scopeKind: ScopeKind.Category, scopeValue: obs, permissions: Write }));
  assert.equal(await f.read.consent.read.canAccessRecord([f.addr.patient, f.addr.device, obs, randomKey(), Write]), true);
  assert.equal(await f.read.consent.read.canAccessRecord([f.addr.patient, f.addr.device, obs, randomKey(), Read]), false);
});

test('access requests: providers ask, patients approve with their own window or reject, providers cancel', async () => {
  const f = await medchainFixture();
  const now = await f.latestTimestamp();
  const ask = terms(f.addr.doctor, 0n, now + 3600n, { permissions: ReadWrite });
  await expectRevert(f.as('outsider').consent.write.requestAccess([f.addr.patient, ask]), 'NotActiveProvider');
  await expectRevert(f.as('doctor').consent.write.requestAccess([f.addr.outsider, ask]), 'NotPatient');
  await expectRevert(f.as('doctor').consent.write.requestAccess([f.addr.patient, { ...ask, grantee: f.addr.lab }]), 'InvalidGrantee');
  const r1 = await f.mined(f.as('doctor').consent.write.requestAccess([f.addr.patient, ask]));
  const requestId = parseEventLogs({ abi: ConsentAbi, logs: r1.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
  assert.deepEqual(await f.read.consent.read.requestsOfPatient([f.addr.patient]), [requestId]);
  assert.deepEqual(await f.read.consent.read.requestsOfProvider([f.addr.doctor]), [requestId]);
  assert.equal((await f.read.consent.read.getRequest([requestId])).status, RequestStatus.Pending);

  // The patient narrows it: read only, shorter window.
  const chosen = terms(f.addr.doctor, 0n, now + 600n, { permissions: Read });
  await expectRevert(f.as('patient2').consent.write.approveRequest([requestId, chosen]), 'NotRequestParty');
  await expectRevert(f.as('patient').consent.write.approveRequest([requestId, { ...chosen, grantee: f.addr.lab }]), 'RequestMismatch');
  const r2 = await f.mined(f.as('patient').consent.write.approveRequest([requestId, chosen]));
  const grantId = parseEventLogs({ abi: ConsentAbi, logs: r2.logs, eventName: 'AccessRequestApproved' })[0]!.args.grantId;
  const request = await f.read.consent.read.getRequest([requestId]);
  assert.equal(request.status, RequestStatus.Approved);
  assert.equal(request.grantId, grantId);
  assert.equal((await f.read.consent.read.getGrant([grantId])).requestId, requestId);
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Write]), false);
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read]), true);
  await expectRevert(f.as('patient').consent.write.rejectRequest([requestId]), 'RequestNotPending');

  const r3 = await f.mined(f.as('lab').consent.write.requestAccess([f.addr.patient, terms(f.addr.lab, 0n, now + 60n)]));
  const second = parseEventLogs({ abi: ConsentAbi, logs: r3.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
  await expectRevert(f.as('doctor').consent.write.rejectRequest([second]), 'NotRequestParty');
  await f.mined(f.as('patient').consent.write.rejectRequest([second]));
  assert.equal((await f.read.consent.read.getRequest([second])).status, RequestStatus.Rejected);

  const r4 = await f.mined(f.as('lab').consent.write.requestAccess([f.addr.patient, terms(f.addr.lab, 0n, now + 60n)]));
  const third = parseEventLogs({ abi: ConsentAbi, logs: r4.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
  await expectRevert(f.as('patient').consent.write.cancelRequest([third]), 'NotRequestParty');
  await f.mined(f.as('lab').consent.write.cancelRequest([third]));
  assert.equal((await f.read.consent.read.getRequest([third])).status, RequestStatus.Cancelled);
  await expectRevert(f.as('patient').consent.write.approveRequest([third, terms(f.addr.lab, 0n, now + 60n)]), 'RequestNotPending');
  await expectRevert(f.as('patient').consent.write.approveRequest([77n, terms(f.addr.lab, 0n, now + 60n)]), 'UnknownRequest');
});

test('relayed EIP-712 grants: valid, replayed, expired, wrong chain, wrong signer, tampered terms', async () => {
  const f = await medchainFixture();
  const patient = privateKeyToAccount(f.keys.patient);
  const now = await f.latestTimestamp();
  const t = terms(f.addr.doctor, 0n, now + 600n);
  const nonce = await f.read.consent.read.nonces([f.addr.patient]);
  const ctx = { chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, nonce, deadline: now + 300n, terms: t };
  const sig = await patient.signTypedData(grantTypedData(ctx));
  const relay = (s: Hex, over: Partial<{ terms: GrantTerms; deadline: bigint; requestId: bigint }> = {}) =>
    f.as('relayer').consent.write.grantBySig([f.addr.patient, over.terms ?? t, over.requestId ?? 0n, over.deadline ?? ctx.deadline, s]);

  await expectRevert(relay(sig, { terms: { ...t, validUntil: now + 6000n } }), 'InvalidSignature');
  await expectRevert(relay(await privateKeyToAccount(f.keys.outsider).signTypedData(grantTypedData(ctx))), 'InvalidSignature');
  await expectRevert(relay(await patient.signTypedData(grantTypedData({ ...ctx, chainId: 1 }))), 'InvalidSignature');
  const receipt = await f.mined(relay(sig));
  const [created] = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' });
  assert.equal(created!.args.patient, f.addr.patient);
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Read]), true);
  assert.equal(await f.read.consent.read.nonces([f.addr.patient]), nonce + 1n);
  await expectRevert(relay(sig), 'InvalidSignature'); // replay: the nonce moved on

  const expiredCtx = { ...ctx, nonce: nonce + 1n, deadline: now - 1n };
  await expectRevert(relay(await patient.signTypedData(grantTypedData(expiredCtx)), { deadline: now - 1n }), 'SignatureExpired');

  // Relayed extension and revocation.
  const grantId = created!.args.grantId;
  const after = await f.latestTimestamp();
  const extendSig = await patient.signTypedData(extendTypedData({ ...ctx, nonce: nonce + 1n, deadline: after + 300n, grantId, validUntil: now + 9000n }));
  await expectRevert(f.as('relayer').consent.write.extendBySig([f.addr.patient, grantId, now + 9999n, after + 300n, extendSig]), 'InvalidSignature');
  await f.mined(f.as('relayer').consent.write.extendBySig([f.addr.patient, grantId, now + 9000n, after + 300n, extendSig]));
  assert.equal((await f.read.consent.read.getGrant([grantId])).validUntil, now + 9000n);
  const revokeSig = await patient.signTypedData(revokeTypedData({ ...ctx, nonce: nonce + 2n, deadline: after + 300n, grantId }));
  await f.mined(f.as('relayer').consent.write.revokeBySig([f.addr.patient, grantId, after + 300n, revokeSig]));
  assert.equal(await f.read.consent.read.grantState([grantId]), GrantState.Revoked);
  await expectRevert(f.as('relayer').consent.write.revokeBySig([f.addr.patient, grantId, after + 300n, revokeSig]), 'InvalidSignature');
});

test('a relayed signature approves an access request', async () => {
  const f = await medchainFixture();
  const patient = privateKeyToAccount(f.keys.patient);
  const now = await f.latestTimestamp();
  const t = terms(f.addr.lab, 0n, now + 600n);
  const r = await f.mined(f.as('lab').consent.write.requestAccess([f.addr.patient, t]));
  const requestId = parseEventLogs({ abi: ConsentAbi, logs: r.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
  const ctx = { chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, nonce: 0n, deadline: now + 300n, terms: t, requestId };
  const sig = await patient.signTypedData(grantTypedData(ctx));
  await f.mined(f.as('lab').consent.write.grantBySig([f.addr.patient, t, requestId, ctx.deadline, sig]));
  assert.equal((await f.read.consent.read.getRequest([requestId])).status, RequestStatus.Approved);
});

test('break-glass: opened by an accredited provider, evented, expires by itself at the admin-set duration', async () => {
  const f = await medchainFixture();
  const duration = 30n * 60n;
  const setDuration = encodeFunctionData({ abi: ConsentAbi, functionName: 'setBreakGlassDuration', args: [duration] });
  await expectRevert(f.as('admin').consent.write.setBreakGlassDuration([duration]), 'NotGovernance');
  await expectRevert(f.as('doctor').identity.write.approve([f.addresses.consent, setDuration]), 'NotAdmin');
  await expectRevert(f.as('admin').identity.write.approve([f.addresses.consent, encodeFunctionData({ abi: ConsentAbi, functionName: 'setBreakGlassDuration', args: [60n] })]), 'InvalidDuration');
  await f.mined(f.as('admin').identity.write.approve([f.addresses.consent, setDuration]));
  assert.equal(await f.read.consent.read.breakGlassDuration(), duration);

  await expectRevert(f.as('outsider').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]), 'NotActiveProvider');
  await expectRevert(f.as('doctor').consent.write.openEmergencyAccess([f.addr.outsider, randomKey()]), 'NotPatient');
  const opened = await f.latestTimestamp() + 10n;
  await f.setNextTimestamp(opened);
  const reasonHash = randomKey();
  const receipt = await f.mined(f.as('doctor').consent.write.openEmergencyAccess([f.addr.patient, reasonHash]));
  const [event] = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessOpened' });
  assert.equal(event!.args.patient, f.addr.patient);
  assert.equal(event!.args.provider, f.addr.doctor);
  assert.equal(event!.args.reasonHash, reasonHash);
  assert.equal(event!.args.until, opened + duration);
  assert.equal(await f.read.consent.read.emergencyOpenedBy([f.addr.doctor]), 1n);

  const category = recordCategory('Condition');
  const readAt = async (ts: bigint, p: number) => {
    const blockNumber = await f.mineAt(ts);
    return f.read.consent.read.canAccessRecord([f.addr.patient, f.addr.doctor, category, randomKey(), p], { blockNumber });
  };
  assert.equal(await readAt(opened + duration - 1n, Read), true);
  assert.equal(await f.read.consent.read.canAccessRecord([f.addr.patient, f.addr.doctor, category, randomKey(), Write]), false, 'read only');
  assert.equal(await readAt(opened + duration, Read), false);
  await expectRevert(f.as('doctor').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.doctor]), 'NoEmergencyAccess');

  // The patient may close it early.
  await f.mined(f.as('lab').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]));
  assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.lab]), true);
  await expectRevert(f.as('outsider').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.lab]), 'NotRequestParty');
  const closed = await f.mined(f.as('patient').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.lab]));
  assert.equal(parseEventLogs({ abi: ConsentAbi, logs: closed.logs, eventName: 'EmergencyAccessClosed' }).length, 1);
  assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.lab]), false);
});

test('break-glass: a patient\'s close holds (no re-open until the patient or governance allows it); a live window cannot be extended', async () => {
  const f = await medchainFixture();
  const open = (actor: 'lab' | 'doctor') => f.as(actor).consent.write.openEmergencyAccess([f.addr.patient, randomKey()]);
  const first = await f.mined(open('lab'));
  const { until } = parseEventLogs({ abi: ConsentAbi, logs: first.logs, eventName: 'EmergencyAccessOpened' })[0]!.args;

  // Re-opening while live is refused: the end cannot be pushed later.
  await f.mineAt(until - 60n);
  await expectRevert(open('lab'), 'EmergencyAccessAlreadyOpen');
  assert.equal((await f.read.consent.read.emergencyOf([f.addr.patient, f.addr.lab])).until, until);
  assert.equal(await f.read.consent.read.emergencyOpenedBy([f.addr.lab]), 1n);

  // The patient closes it: an event the patient's UI alerts on, and the bar on that provider.
  const closed = await f.mined(f.as('patient').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.lab]));
  const barred = parseEventLogs({ abi: ConsentAbi, logs: closed.logs, eventName: 'EmergencyReopenBarredBy' });
  assert.deepEqual(barred.map((e) => [e.args.patient, e.args.provider]), [[f.addr.patient, f.addr.lab]]);
  assert.equal(await f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr.lab]), true);
  // The provider re-opens at once, later, and after the window would have ended: refused every time.
  await expectRevert(open('lab'), 'EmergencyReopenBarred');
  await f.mineAt(until + 30n * 86_400n);
  await expectRevert(open('lab'), 'EmergencyReopenBarred');
  assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.lab]), false);
  assert.equal(await f.read.consent.read.emergencyOpenedBy([f.addr.lab]), 1n);
  // Other providers are not barred; a provider's own close bars nothing.
  await f.mined(open('doctor'));
  await f.mined(f.as('doctor').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.doctor]));
  assert.equal(await f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr.doctor]), false);

  // Only the patient or governance lifts the bar: not the provider, not an admin alone outside governance.
  await expectRevert(f.as('lab').consent.write.allowEmergencyReopen([f.addr.patient, f.addr.lab]), 'NotGovernance');
  await expectRevert(f.as('admin').consent.write.allowEmergencyReopen([f.addr.patient, f.addr.lab]), 'NotGovernance');
  const allow = encodeFunctionData({ abi: ConsentAbi, functionName: 'allowEmergencyReopen', args: [f.addr.patient, f.addr.lab] });
  const lifted = await f.mined(f.as('admin').identity.write.approve([f.addresses.consent, allow]));
  const allowed = parseEventLogs({ abi: ConsentAbi, logs: lifted.logs, eventName: 'EmergencyReopenAllowed' });
  assert.equal(allowed[0]!.args.allowedBy.toLowerCase(), f.addresses.identity.toLowerCase());
  await f.mined(open('lab'));
  assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.lab]), true);
  // The patient may also lift a bar they set themself.
  await f.mined(f.as('patient').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.lab]));
  await expectRevert(f.as('patient2').consent.write.allowEmergencyReopen([f.addr.patient, f.addr.lab]), 'NotGovernance');
  await f.mined(f.as('patient').consent.write.allowEmergencyReopen([f.addr.patient, f.addr.lab]));
  await expectRevert(f.as('patient').consent.write.allowEmergencyReopen([f.addr.patient, f.addr.lab]), 'EmergencyReopenNotBarred');
  await f.mined(open('lab'));
});
