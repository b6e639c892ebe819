// Issue 14 items 5 and 6 (remainder): grant purposes and break-glass reason codes are unreadable on
// chain. A consortium member with node access reads every GrantCreated, AccessRequested and
// EmergencyAccessOpened log straight from the node (eth_getLogs, no gateway in between): the
// purposes are 32-byte tags that differ per patient (and per grantee) for the same purpose and
// match no dictionary of encodings of the five purposes; a break-glass event carries no coded
// reason, only the salted commitment, which verifies against code + text + salt and nothing else.
// Asking the patient's gateway for another grantee's tags is refused. The patient, the grantee and
// an auditor still see "treatment" (REST listings, FHIR Consent, the access log); a provider's
// request carries its own tag and the patient sees its purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeEventLog, encodeAbiParameters, hexToBytes, keccak256, pad, parseEventLogs, toBytes, toHex, type Hex } from 'viem';
import { blindPurpose, unwrapCategoryKey } from '../../src/crypto/index.ts';
import { commitBreakGlassReason, readBreakGlassReason, reasonCommitment, reasonRecipients, sealBreakGlassReason } from '../../src/sdk/breakGlassReason.ts';
import { ConsentAbi, EMERGENCY_REASONS, PURPOSES, Permission, ScopeKind, ZERO_SCOPE, type PurposeName } from '../../src/sdk/contracts.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';

/** Every way an outsider might have encoded a purpose or reason code: enum index, names hashed, keyed by public data. */
function guesses(patient: Hex, grantee: Hex): Set<string> {
  const out = new Set<string>();
  const names = [...PURPOSES, ...EMERGENCY_REASONS];
  for (let i = 0; i < 16; i++) out.add(pad(toHex(i), { size: 32 }));
  for (const n of names) {
    for (const name of [n, n.toLowerCase(), n.toUpperCase()]) {
      out.add(keccak256(toBytes(name)));
      out.add(toHex(sha256(toBytes(name))));
      out.add(toHex(hmac(sha256, hexToBytes(patient), toBytes(name))));
      out.add(keccak256(toBytes(`${patient.toLowerCase()}${name}`)));
      out.add(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'address' }, { type: 'string' }], [patient, grantee, name])));
    }
    if ((PURPOSES as string[]).includes(n)) out.add(blindPurpose(new Uint8Array(32), grantee, n)); // the scheme with an all-zero key
  }
  return out;
}

test('grant purposes and break-glass reasons on chain: per-patient tags, no enum, no code; parties still see "treatment"; the commitment binds code + text', async () => {
  const h = await gatewayHarness({ custodial: ['lab'] });
  const { f } = h;
  const P = f.addr.patient;
  const P2 = f.addr.patient2;
  try {
    const until = async () => (await f.latestTimestamp()) + 100_000n;
    const patient = await h.client('patient');
    const patient2 = await h.client('patient2');
    // Each patient grants with the tag their gateway hands them, as the CLI and the web forms do (blindTerms).
    const grant = async (who: 'patient' | 'patient2', grantee: 'doctor' | 'lab', purpose: PurposeName, permissions: number = Permission.Read) => {
      const client = who === 'patient' ? patient : patient2;
      const tag = await client.purposeTag(f.addr[who], f.addr[grantee], purpose);
      await f.mined(f.as(who).consent.write.grant([{ grantee: f.addr[grantee], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions, purpose: tag, validFrom: 0n, validUntil: await until() }]));
      return tag;
    };
    const pDoctor = await grant('patient', 'doctor', 'Treatment');
    const p2Doctor = await grant('patient2', 'doctor', 'Treatment');
    const pLab = await grant('patient', 'lab', 'Treatment', Permission.ReadWrite);
    // A provider asks for access with a purpose: it gets the tag for itself (and only for itself).
    const hospital = await h.client('hospital');
    const requestTag = await hospital.purposeTag(P, f.addr.hospital, 'Research');
    await f.mined(f.as('hospital').consent.write.requestAccess([P, { grantee: f.addr.hospital, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: requestTag, validFrom: 0n, validUntil: await until() }]));

    // Break-glass by the doctor on patient2: the code and the text are committed to with a salt and sealed for the readers.
    const doctor = await h.client('doctor');
    const text = 'found unresponsive, suspected opioid overdose';
    const { salt, reasonHash } = commitBreakGlassReason('Unconscious', text);
    const recipients = await reasonRecipients({ gateway: doctor, client: f.publicClient, addresses: f.addresses, patient: P2, provider: { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey } });
    const opened = await f.mined(f.as('doctor').consent.write.openEmergencyAccess([P2, reasonHash]));
    const accessId = parseEventLogs({ abi: ConsentAbi, logs: opened.logs, eventName: 'EmergencyAccessOpened' })[0]!.args.accessId;
    await doctor.depositBreakGlassReason(accessId, await sealBreakGlassReason({ code: 'Unconscious', reason: text, salt, accessId, patient: P2, recipients }));
    await h.waitIndexed();

    // The attack: every Consent log, raw from the node.
    const logs = (await f.provider.request({ method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest', address: f.addresses.consent }] })) as Array<{ topics: [Hex, ...Hex[]]; data: Hex }>;
    const events = logs.map((l) => ({ raw: l, e: decodeEventLog({ abi: ConsentAbi, topics: l.topics, data: l.data }) }));
    const granted = events.flatMap(({ e }) => (e.eventName === 'GrantCreated' ? [e.args] : []));
    const requested = events.flatMap(({ e }) => (e.eventName === 'AccessRequested' ? [e.args] : []));
    assert.equal(granted.length, 3);
    assert.deepEqual(granted.map((g) => g.purpose), [pDoctor, p2Doctor, pLab]);
    assert.deepEqual(requested.map((r) => r.purpose), [requestTag]);
    // The same purpose, two patients (same grantee): unrelated tags; the same patient, two grantees: unrelated too.
    assert.notEqual(pDoctor, p2Doctor);
    assert.notEqual(pDoctor, pLab);
    for (const g of granted) {
      const dictionary = guesses(g.patient, g.grantee);
      assert.ok(!dictionary.has(g.purpose.toLowerCase()), `purpose ${g.purpose} reversed by a dictionary`);
    }
    assert.ok(!guesses(P, f.addr.hospital).has(requestTag.toLowerCase()));
    // The ABI itself has no purpose enum and no coded reason any more.
    const inputs = (name: string) => (ConsentAbi.find((x) => x.type === 'event' && x.name === name) as unknown as { inputs: Array<{ name: string; type: string }> }).inputs;
    assert.equal(inputs('GrantCreated').find((i) => i.name === 'purpose')!.type, 'bytes32');
    assert.equal(inputs('AccessRequested').find((i) => i.name === 'purpose')!.type, 'bytes32');
    assert.deepEqual(inputs('EmergencyAccessOpened').map((i) => i.name), ['accessId', 'patient', 'provider', 'reasonHash', 'until']);
    const glass = events.filter(({ e }) => e.eventName === 'EmergencyAccessOpened');
    assert.equal(glass.length, 1);
    // Its data is exactly the commitment and the end: 2 words, no code anywhere.
    assert.equal(glass[0]!.raw.data.length, 2 + 64 * 2);
    assert.equal(glass[0]!.raw.data.slice(0, 66), reasonHash);
    // The commitment verifies against code + text + salt, and against no other code or text.
    assert.equal(reasonCommitment('Unconscious', text, salt), reasonHash);
    for (const code of EMERGENCY_REASONS.filter((c) => c !== 'Unconscious')) assert.notEqual(reasonCommitment(code, text, salt), reasonHash);
    assert.notEqual(reasonCommitment('Unconscious', `${text}.`, salt), reasonHash);
    assert.notEqual(keccak256(toBytes(text)), reasonHash);

    // The attacker asks the gateway: anonymous 401; another provider for the doctor's tags 403; its own tags differ from the doctor's.
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/purposes`, { body: { grantee: f.addr.doctor, purposes: ['Treatment'] } })).status, 401);
    const refused = await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/purposes`, { token: hospital.sessionToken!, body: { grantee: f.addr.doctor, purposes: [...PURPOSES] } });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /0x[0-9a-f]{64}/);
    const own = await hospital.purposeTags(P, f.addr.hospital);
    assert.ok(!Object.values(own).includes(pDoctor), "a provider's own tags say nothing about another grantee's grants");
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/grants?patient=${P}`, { token: hospital.sessionToken! })).status, 403);
    const bad = await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/purposes`, { token: patient.sessionToken!, body: { grantee: f.addr.doctor, purposes: ['Marketing'] } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /expected a purpose/);
    const notPatient = await httpCall(h.gateway.url, 'POST', `/api/patients/${f.addr.outsider}/purposes`, { token: (await h.client('outsider')).sessionToken!, body: { grantee: f.addr.outsider, purposes: ['Treatment'] } });
    assert.ok(notPatient.status === 400 || notPatient.status === 404, notPatient.text);

    // Those allowed still see "treatment": the patient, the grantee, an admin (REST); FHIR Consent; the request's purpose.
    const purposeIn = (l: Awaited<ReturnType<typeof patient.grants>>, grantee: string) => l.active.find((g) => g.grantee === grantee)!.purpose;
    assert.equal(purposeIn(await patient.grants({ patient: P }), f.addr.doctor), 'treatment');
    assert.equal(purposeIn(await patient2.grants({ patient: P2 }), f.addr.doctor), 'treatment');
    assert.equal(purposeIn(await doctor.grants({ grantee: f.addr.doctor }), f.addr.doctor), 'treatment');
    assert.equal(purposeIn(await (await h.client('admin')).grants({ patient: P }), f.addr.lab), 'treatment');
    const consents = await httpCall(h.gateway.url, 'GET', `/fhir/Consent?patient=${P}`, { token: patient.sessionToken! });
    assert.equal(consents.status, 200, consents.text);
    const codes = (consents.json!.entry as Array<{ resource: { provision: { purpose: Array<{ code: string }> } } }>).map((e) => e.resource.provision.purpose[0]!.code);
    assert.deepEqual(codes, ['TREAT', 'TREAT']);
    const { requests } = await patient.requests({ patient: P });
    assert.equal(requests[0]!.purpose, 'research');
    // The patient holds the key too: the tags check out without the gateway's word.
    const key = await unwrapCategoryKey(await patient.categoryKeyEnvelope(P), h.encryption.patient.privateKey, P);
    assert.equal(blindPurpose(key, f.addr.doctor, 'Treatment'), pDoctor);

    // The access log names the grant's purpose for a read under it (decoded, gateway-side).
    const obs = await httpCall(h.gateway.url, 'POST', '/fhir/Observation', { token: (await h.client('lab')).sessionToken!, body: {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, subject: { reference: `Patient/${P}` },
      valueQuantity: { value: 101, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    } });
    assert.equal(obs.status, 201, obs.text);
    const log = (await patient.audit({ patient: P, limit: 1000 })).entries;
    assert.ok(log.some((e) => e.actor.toLowerCase() === f.addr.lab.toLowerCase() && e.action === 'create' && e.purpose === 'treatment'), JSON.stringify(log.filter((e) => e.actor.toLowerCase() === f.addr.lab.toLowerCase())));

    // The break-glass patient reads code and text from the sealed reason and checks them against the chain.
    const read = await readBreakGlassReason({ gateway: patient2, client: f.publicClient, addresses: f.addresses, accessId, privateKey: h.encryption.patient2.privateKey });
    assert.deepEqual([read.code, read.reason, read.matchesChain], ['Unconscious', text, true]);
    const { emergencies } = await patient2.emergencies(P2);
    assert.equal(emergencies.length, 1);
    assert.ok(!('reason' in emergencies[0]!), 'the listing has no coded reason: there is none on chain');
  } finally {
    await h.close();
  }
});
