/**
 * Gas table for every user-facing MedChain operation, measured from real receipts on EDR.
 * Run: `npx tsx bench/gas.ts` (or `npm run bench -- gas`). Prints the table and writes
 * bench/results/gas.{json,md} and gas.svg.
 */
import { encodeFunctionData, parseEventLogs, type Hex, type TransactionReceipt } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { medchainFixture, randomKey, encodeAccredit } from '../contracts/test/fixture.ts';
import {
  ConsentAbi, IdentityAbi, Permission, ProviderKind, ScopeKind, SuspensionReason, ZERO_SCOPE,
  applyAsProviderTypedData, grantTypedData, recordCategory, registerPatientTypedData, revokeTypedData,
} from '../src/sdk/contracts.ts';
import { report, savePlot, type Row } from './lib/report.ts';
import { opaquePurpose } from '../test/purposes.ts';

const rows: Row[] = [];

// Deployment.
const deployments: Row[] = [];
const f = await medchainFixture({
  admins: [], setUpActors: false,
  onDeployed: (name, receipt) => deployments.push({ operation: `deploy ${name}`, by: 'admin', gas: Number(receipt.gasUsed), note: name === 'Incentives' ? 'deploys MedToken too' : '' }),
});
rows.push(...deployments);
const measure = async (who: string, operation: string, tx: Promise<Hex> | Hex, note = ''): Promise<TransactionReceipt> => {
  const receipt = await f.mined(tx);
  rows.push({ operation, by: who, gas: Number(receipt.gasUsed), note });
  return receipt;
};

// Identity and governance.
await measure('patient', 'registerPatient', f.as('patient').identity.write.registerPatient([randomKey(), randomKey()]));
await f.mined(f.as('patient2').identity.write.registerPatient([randomKey(), randomKey()]));
{
  // Relayed registrations (onboarding on a permissioned chain): signed by the new account, sent by the relayer.
  const deadline = (await f.latestTimestamp()) + 3600n;
  const ctx = { chainId: 31337, identity: f.addresses.identity, nonce: 0n, deadline };
  const [k, m] = [randomKey(), randomKey()];
  const ps = await privateKeyToAccount(f.keys.outsider).signTypedData(registerPatientTypedData({ ...ctx, patient: f.addr.outsider, encryptionKey: k, metadataHash: m }));
  await measure('relayer', 'registerPatientBySig (relayed EIP-712)', f.as('relayer').identity.write.registerPatientBySig([f.addr.outsider, k, m, deadline, ps]));
  const as = await privateKeyToAccount(f.keys.applicant).signTypedData(applyAsProviderTypedData({ ...ctx, provider: f.addr.applicant, kind: ProviderKind.Other, encryptionKey: k, metadataHash: m }));
  await measure('relayer', 'applyAsProviderBySig (relayed EIP-712)', f.as('relayer').identity.write.applyAsProviderBySig([f.addr.applicant, ProviderKind.Other, k, m, deadline, as]));
}
await measure('doctor', 'applyAsProvider', f.as('doctor').identity.write.applyAsProvider([ProviderKind.Doctor, randomKey(), randomKey()]));
await measure('admin', 'approve: accreditProvider (executes, threshold 1)', f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.doctor)]));
await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [f.addr.admin2] })]));
await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'setThresholds', args: [2n, 2n] })]));
await f.mined(f.as('lab').identity.write.applyAsProvider([ProviderKind.Lab, randomKey(), randomKey()]));
await measure('admin', 'approve: accreditProvider (1 of 2, pending)', f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.lab)]));
await measure('admin2', 'approve: accreditProvider (2 of 2, executes)', f.as('admin2').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.lab)]));
await f.mined(f.as('hospital').identity.write.applyAsProvider([ProviderKind.Hospital, randomKey(), randomKey()]));
await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.hospital)]));
await f.mined(f.as('admin2').identity.write.approve([f.addresses.identity, encodeAccredit(f.addr.hospital)]));
await measure('patient', 'rotateEncryptionKey', f.as('patient').identity.write.rotateEncryptionKey([randomKey()]));
await measure('patient', 'setMetadataHash', f.as('patient').identity.write.setMetadataHash([randomKey()]));
const device = await f.deviceSignature('device', f.addr.patient);
await measure('patient', 'registerDevice', f.as('patient').identity.write.registerDevice([f.addr.device, device.deadline, device.signature]), 'checks the device key\'s EIP-712 signature');

// Consent.
const now = await f.latestTimestamp();
const terms = (grantee: Hex, over: object = {}) => ({ grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 86_400n, ...over });
const g1 = await measure('patient', 'grant (all records)', f.as('patient').consent.write.grant([terms(f.addr.doctor)]));
const grantId = parseEventLogs({ abi: ConsentAbi, logs: g1.logs, eventName: 'GrantCreated' })[0]!.args.grantId;
await measure('patient', 'grant (category)', f.as('patient').consent.write.grant([terms(f.addr.lab, { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Observation') })]));
await measure('patient', 'grant (supersedes a live grant)', f.as('patient').consent.write.grant([terms(f.addr.lab, { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Observation'), permissions: Permission.Read })]));
await measure('patient', 'extend', f.as('patient').consent.write.extend([grantId, now + 172_800n]));
const patient = privateKeyToAccount(f.keys.patient);
const sigTerms = terms(f.addr.hospital);
const nonce = await f.read.consent.read.nonces([f.addr.patient]);
const sig = await patient.signTypedData(grantTypedData({ chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, nonce, deadline: now + 3600n, terms: sigTerms }));
const g2 = await measure('relayer', 'grantBySig (relayed EIP-712)', f.as('relayer').consent.write.grantBySig([f.addr.patient, sigTerms, 0n, now + 3600n, sig]));
const sigGrant = parseEventLogs({ abi: ConsentAbi, logs: g2.logs, eventName: 'GrantCreated' })[0]!.args.grantId;
const rsig = await patient.signTypedData(revokeTypedData({ chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, nonce: nonce + 1n, deadline: now + 3600n, grantId: sigGrant }));
await measure('relayer', 'revokeBySig (relayed EIP-712)', f.as('relayer').consent.write.revokeBySig([f.addr.patient, sigGrant, now + 3600n, rsig]));
const r1 = await measure('doctor', 'requestAccess', f.as('doctor').consent.write.requestAccess([f.addr.patient2, terms(f.addr.doctor)]));
const requestId = parseEventLogs({ abi: ConsentAbi, logs: r1.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
await measure('patient2', 'approveRequest', f.as('patient2').consent.write.approveRequest([requestId, terms(f.addr.doctor)]));
const r2 = await f.mined(f.as('lab').consent.write.requestAccess([f.addr.patient2, terms(f.addr.lab)]));
await measure('patient2', 'rejectRequest', f.as('patient2').consent.write.rejectRequest([parseEventLogs({ abi: ConsentAbi, logs: r2.logs, eventName: 'AccessRequested' })[0]!.args.requestId]));
await measure('hospital', 'openEmergencyAccess', f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient2, randomKey()]));
await measure('patient2', 'closeEmergencyAccess', f.as('patient2').consent.write.closeEmergencyAccess([f.addr.patient2, f.addr.hospital]), 'by the patient: bars re-opening');
await measure('patient2', 'allowEmergencyReopen', f.as('patient2').consent.write.allowEmergencyReopen([f.addr.patient2, f.addr.hospital]));

// Records and rewards.
await f.setCoinbase(f.addr.relayer);
const category = recordCategory('Observation');
// A content id is registered once (ContentIdInUse): a fresh one per version.
const cid = (): Hex => `0x01551220${randomKey().slice(2)}`;
const rec1 = randomKey();
await measure('patient', 'addRecord (by the patient)', f.as('patient').recordRegistry.write.addRecord([rec1, f.addr.patient, category, cid(), randomKey()]), 'producer reward');
const rec2 = randomKey();
await measure('doctor', 'addRecord (by a provider, first reward)', f.as('doctor').recordRegistry.write.addRecord([rec2, f.addr.patient, category, cid(), randomKey()]), 'author + producer rewards');
await measure('doctor', 'addRecord (by a provider, same patient and period)', f.as('doctor').recordRegistry.write.addRecord([randomKey(), f.addr.patient, category, cid(), randomKey()]), 'producer reward only');
await measure('doctor', 'updateRecord (new version, same patient and period)', f.as('doctor').recordRegistry.write.updateRecord([rec2, 1, cid(), randomKey()]), 'producer reward only');
await measure('doctor', 'addRecord (by a provider, another patient)', f.as('doctor').recordRegistry.write.addRecord([randomKey(), f.addr.patient2, category, cid(), randomKey()]), 'author + producer rewards');
await f.mined(f.as('patient').recordRegistry.write.updateRecord([rec1, 1, cid(), randomKey()]));
await measure('patient', 'eraseRecord (2 versions)', f.as('patient').recordRegistry.write.eraseRecord([rec1]));
await measure('patient', 'revoke', f.as('patient').consent.write.revoke([grantId]));
await measure('hospital', 'anchor (access-log root)', f.as('hospital').accessLogAnchor.write.anchor([1n, randomKey(), 1000n]));
await measure('admin', 'suspendProvider', f.as('admin').identity.write.suspendProvider([f.addr.lab, SuspensionReason.Other]));

// Views, as the gateway calls them (gas of an eth_call).
const est = async (operation: string, data: Hex, to: Hex) => {
  rows.push({ operation, by: 'view', gas: Number(await f.publicClient.estimateGas({ to, data, account: f.addr.outsider })), note: 'eth_call' });
};
await est('isAuthorized', encodeFunctionData({ abi: ConsentAbi, functionName: 'isAuthorized', args: [f.addr.patient, f.addr.doctor, ScopeKind.Category, category, Permission.Read] }), f.addresses.consent);
await est('canAccessRecord', encodeFunctionData({ abi: ConsentAbi, functionName: 'canAccessRecord', args: [f.addr.patient, f.addr.doctor, category, rec2, Permission.Read] }), f.addresses.consent);

report('gas', 'Gas per MedChain operation (EDR, cancun, solc 0.8.28 via-IR, optimizer 200 runs)', rows);
await savePlot('gas', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Gas per operation',
  width: 500,
  data: { values: rows.filter((r) => !String(r.operation).startsWith('deploy')) },
  mark: 'bar',
  encoding: { y: { field: 'operation', type: 'nominal', sort: '-x' }, x: { field: 'gas', type: 'quantitative' } },
});
process.exit(0);
