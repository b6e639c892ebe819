/**
 * Break-glass reasons (issue 14 item 6), over real HTTP against a real gateway and chain.
 *
 * Attack: six providers' reasons are committed on chain; an attacker who sees every
 * EmergencyAccessOpened event (read straight from the node) runs an 80-phrase dictionary against
 * the commitments. With the old unsalted keccak256(reason) the same dictionary recovers 6 of 6
 * (asserted, so the attack is real); with the salted commitment it recovers 0 of 6.
 *
 * The stated reason is kept in the gateway encrypted (no plaintext in its tables): the patient and
 * an auditor read it and check it against the chain; another patient and another provider are
 * refused; a second deposit cannot replace it; a gateway copy swapped for another text is caught
 * by the commitment check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, encodeFunctionData, keccak256, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import { generateEncryptionKeyPair } from '../../src/crypto/index.ts';
import { ConsentAbi, EMERGENCY_REASONS, IdentityAbi, type EmergencyReasonCode } from '../../src/sdk/contracts.ts';
import {
  commitBreakGlassReason, readBreakGlassReason, reasonRecipients, sealBreakGlassReason,
} from '../../src/sdk/breakGlassReason.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import type { Actor } from '../../contracts/test/fixture.ts';

/** What an attacker would try: common emergency-department presentations. */
const DICTIONARY = [
  'unconscious', 'unresponsive', 'cardiac arrest', 'suspected stroke', 'stroke', 'seizure', 'status epilepticus', 'anaphylaxis',
  'severe allergic reaction', 'suspected opioid overdose', 'opioid overdose', 'overdose', 'drug overdose', 'alcohol poisoning',
  'head injury', 'traumatic brain injury', 'car accident', 'motor vehicle accident', 'fall from height', 'fall', 'gunshot wound',
  'stab wound', 'severe bleeding', 'hemorrhage', 'internal bleeding', 'burns', 'severe burns', 'drowning', 'near drowning',
  'hypothermia', 'heat stroke', 'diabetic coma', 'hypoglycemia', 'diabetic ketoacidosis', 'sepsis', 'septic shock', 'shock',
  'respiratory failure', 'respiratory arrest', 'asthma attack', 'choking', 'airway obstruction', 'chest pain', 'heart attack',
  'myocardial infarction', 'arrhythmia', 'pulmonary embolism', 'aortic dissection', 'psychiatric emergency', 'suicide attempt',
  'self harm', 'delirium', 'confusion', 'dementia', 'incapacitated', 'life-threatening', 'life threatening', 'emergency surgery',
  'trauma', 'multiple trauma', 'poisoning', 'carbon monoxide poisoning', 'electrocution', 'pregnancy complication',
  'eclampsia', 'postpartum hemorrhage', 'meningitis', 'encephalitis', 'kidney failure', 'liver failure', 'GI bleed',
  'ruptured appendix', 'bowel obstruction', 'spinal injury', 'fracture', 'amputation', 'crush injury', 'no ID', 'unknown patient', 'other',
];
const REASONS = ['suspected opioid overdose', 'cardiac arrest', 'head injury', 'anaphylaxis', 'diabetic coma', 'seizure'];

test('attack: a dictionary recovers 0 of 6 salted break-glass commitments (6 of 6 unsalted); the reason is kept encrypted for the patient and auditors', async () => {
  assert.equal(DICTIONARY.length, 80);
  const h = await gatewayHarness();
  const { f } = h;
  try {
    // An auditor who can read reasons needs an encryption key on chain (registered, then appointed).
    const auditorKeys = generateEncryptionKeyPair();
    await f.mined(f.as('outsider').identity.write.registerPatient([bytesToHex(auditorKeys.publicKey), keccak256(toHex('auditor'))]));
    await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'setAuditor', args: [f.addr.outsider, true] })]));
    await h.waitIndexed();

    // Six openings, each sealed and deposited as the CLI's `break-glass` does (SDK over HTTP).
    const pairs: Array<[Actor, Actor]> = [['doctor', 'patient'], ['lab', 'patient'], ['hospital', 'patient'], ['doctor', 'patient2'], ['lab', 'patient2'], ['hospital', 'patient2']];
    const openings: Array<{ accessId: bigint; provider: Actor; patient: Actor; code: EmergencyReasonCode; reason: string; reasonHash: Hex }> = [];
    for (const [i, [provider, patient]] of pairs.entries()) {
      const gateway = await h.client(provider);
      const reason = REASONS[i]!;
      const code = EMERGENCY_REASONS[i % EMERGENCY_REASONS.length]!;
      const { salt, reasonHash } = commitBreakGlassReason(code, reason);
      const recipients = await reasonRecipients({ gateway, client: f.publicClient, addresses: f.addresses, patient: f.addr[patient], provider: { address: f.addr[provider], publicKey: h.encryption[provider].publicKey } });
      assert.deepEqual(recipients.map((r) => r.address), [f.addr[patient], f.addr[provider], f.addr.outsider]);
      const receipt = await f.mined(f.as(provider).consent.write.openEmergencyAccess([f.addr[patient], reasonHash]));
      const accessId = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessOpened' })[0]!.args.accessId;
      await gateway.depositBreakGlassReason(accessId, await sealBreakGlassReason({ code, reason, salt, accessId, patient: f.addr[patient], recipients }));
      openings.push({ accessId, provider, patient, code, reason, reasonHash });
    }

    // The attacker's view: every opening event, straight from the node.
    const events = await f.publicClient.getContractEvents({ address: f.addresses.consent, abi: ConsentAbi, eventName: 'EmergencyAccessOpened', fromBlock: 0n });
    assert.equal(events.length, 6);
    const lookup = new Map(DICTIONARY.map((phrase) => [keccak256(toHex(phrase)), phrase]));
    const recovered = events.filter((e) => lookup.has(e.args.reasonHash!));
    assert.equal(recovered.length, 0, 'the dictionary recovers nothing from salted commitments');
    // Control: the old scheme (unsalted keccak256(reason)) falls to the same dictionary, 6 of 6.
    assert.equal(REASONS.filter((r) => lookup.get(keccak256(toHex(r))) === r).length, 6);

    // No plaintext in the gateway's tables.
    const stored = JSON.stringify([
      ...await h.gateway.db.query('SELECT * FROM emergency_reasons'), ...await h.gateway.db.query('SELECT * FROM emergency_reason_envelopes'),
      ...await h.gateway.db.query('SELECT * FROM access_log'), ...await h.gateway.db.query('SELECT * FROM chain_events'),
    ]);
    for (const reason of REASONS) assert.ok(!stored.includes(reason), `"${reason}" is not stored in the clear`);

    // The patient and the auditor read the reason and check it against the chain.
    const first = openings[0]!;
    for (const [who, privateKey] of [['patient', h.encryption.patient.privateKey], ['outsider', auditorKeys.privateKey]] as Array<[Actor, Uint8Array]>) {
      const read = await readBreakGlassReason({ gateway: await h.client(who), client: f.publicClient, addresses: f.addresses, accessId: first.accessId, privateKey });
      assert.equal(read.reason, first.reason, who);
      assert.equal(read.code, first.code, who);
      assert.equal(read.matchesChain, true, who);
      assert.equal(read.reasonHash, first.reasonHash);
    }
    const path = `/api/emergencies/${first.accessId}/reason`;
    const other = await httpCall(h.gateway.url, 'GET', path, { token: (await h.client('patient2')).sessionToken });
    assert.equal(other.status, 403, 'another patient');
    assert.equal((await httpCall(h.gateway.url, 'GET', path, { token: (await h.client('lab')).sessionToken })).status, 403, 'another provider');
    assert.equal((await httpCall(h.gateway.url, 'GET', path)).status, 401, 'anonymous');

    // The reason cannot be replaced, by its provider or anyone else.
    const before = await h.gateway.db.query<{ ciphertext: string }>('SELECT ciphertext FROM emergency_reasons WHERE access_id = $1', [first.accessId.toString()]);
    const decoy = commitBreakGlassReason('Other', 'routine check');
    const forged = await sealBreakGlassReason({
      code: 'Other', reason: 'routine check', salt: decoy.salt, accessId: first.accessId, patient: f.addr.patient,
      recipients: [{ address: f.addr.patient, publicKey: h.encryption.patient.publicKey }],
    });
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    const forgedBody = { ciphertext: b64(forged.ciphertext), envelopes: forged.envelopes.map((e) => ({ recipient: e.recipient, envelope: b64(e.envelope) })) };
    const again = await httpCall(h.gateway.url, 'POST', path, { token: (await h.client('doctor')).sessionToken, body: forgedBody });
    assert.equal(again.status, 409);
    const byOther = await httpCall(h.gateway.url, 'POST', path, { token: (await h.client('lab')).sessionToken, body: forgedBody });
    assert.equal(byOther.status, 403);
    assert.match(String(byOther.json!.error), /only the provider who opened/);
    const unknown = await httpCall(h.gateway.url, 'POST', '/api/emergencies/999/reason', { token: (await h.client('doctor')).sessionToken, body: forgedBody });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await h.gateway.db.query('SELECT ciphertext FROM emergency_reasons WHERE access_id = $1', [first.accessId.toString()]), before);

    // A gateway that swaps the stored copy (here: written into its database directly) is caught by the commitment.
    await h.gateway.db.query('UPDATE emergency_reasons SET ciphertext = $1 WHERE access_id = $2', [forgedBody.ciphertext, first.accessId.toString()]);
    await h.gateway.db.query('UPDATE emergency_reason_envelopes SET envelope = $1 WHERE access_id = $2 AND recipient = $3', [forgedBody.envelopes[0]!.envelope, first.accessId.toString(), f.addr.patient.toLowerCase()]);
    const swapped = await readBreakGlassReason({ gateway: await h.client('patient'), client: f.publicClient, addresses: f.addresses, accessId: first.accessId, privateKey: h.encryption.patient.privateKey });
    assert.equal(swapped.reason, 'routine check');
    assert.equal(swapped.matchesChain, false, 'a substituted reason does not match the on-chain commitment');
  } finally {
    await h.close();
  }
});

test('bad deposits are refused with a clear 4xx and store nothing', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const { salt, reasonHash } = commitBreakGlassReason('Unconscious', 'unconscious, no ID');
    const receipt = await f.mined(f.as('doctor').consent.write.openEmergencyAccess([f.addr.patient, reasonHash]));
    const accessId = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessOpened' })[0]!.args.accessId;
    const token = (await h.client('doctor')).sessionToken;
    const sealed = await sealBreakGlassReason({ code: 'Unconscious', reason: 'unconscious, no ID', salt, accessId, patient: f.addr.patient, recipients: [{ address: f.addr.doctor as Address, publicKey: h.encryption.doctor.publicKey }] });
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['no envelope for the patient', `/api/emergencies/${accessId}/reason`, { ciphertext: b64(sealed.ciphertext), envelopes: [{ recipient: f.addr.doctor, envelope: b64(sealed.envelopes[0]!.envelope) }] }, 400, /patient is required/],
      ['not base64', `/api/emergencies/${accessId}/reason`, { ciphertext: '%%%', envelopes: [] }, 400, /ciphertext/],
      ['huge ciphertext', `/api/emergencies/${accessId}/reason`, { ciphertext: 'A'.repeat(100_000), envelopes: [{ recipient: f.addr.patient, envelope: 'AAAA' }] }, 400, /ciphertext/],
      ['access id overflow', `/api/emergencies/${'9'.repeat(90)}/reason`, { ciphertext: 'AAAA', envelopes: [{ recipient: f.addr.patient, envelope: 'AAAA' }] }, 400, /unsigned integer/],
    ];
    for (const [name, path, body, status, expected] of cases) {
      const r = await httpCall(h.gateway.url, 'POST', path, { token, body });
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.match(String(r.json!.error), expected, name);
    }
    assert.equal((await h.gateway.db.query('SELECT * FROM emergency_reasons')).length, 0);
    assert.equal((await h.gateway.db.query('SELECT * FROM emergency_reason_envelopes')).length, 0);
  } finally {
    await h.close();
  }
});
