// Issue 14 item 5: record metadata on chain is unlinkable for outsiders. A consortium member with
// node access reads every RecordAdded and GrantCreated log straight from the node (eth_getLogs on
// the EDR provider, no gateway in between) and hashes every FHIR type the project knows, several
// ways, against another patient's categories and grant scopes: nothing matches, and the same type
// gives different categories for two patients. Asking the patient's gateway for the mapping is
// refused. The patient's grantee does map them back; a category-scoped grant still authorizes its
// category and no other; FHIR search by type still finds the right records; a record written with
// the legacy public hash is still read; the key survives a restart. The victim sees no change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeEventLog, hexToBytes, keccak256, toBytes, toHex, type Hex } from 'viem';
import { blindCategory, unwrapCategoryKey } from '../../src/crypto/index.ts';
import { CLINICAL_TYPES } from '../../src/gateway/fhir/resources.ts';
import { RECORD_TYPES as GATEWAY_TYPES } from '../../src/gateway/fhir/mapping.ts';
import { ConsentAbi, Permission, RecordRegistryAbi, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { withBlindedScope } from '../../src/sdk/blindScope.ts';
import { readRecordVersion } from '../../src/sdk/readRecord.ts';
import { RECORD_TYPES } from '../../src/sdk/recordTypes.ts';
import { writeRecordVersion } from '../../src/sdk/writeRecord.ts';
import { RECORD_TYPES as WEB_TYPES } from '../../web/src/lib/fhir.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { opaquePurpose } from '../purposes.ts';

// Every type name the project uses anywhere, plus FHIR resources it does not store (an attacker would try them too).
const DICTIONARY = [...new Set([...RECORD_TYPES, ...GATEWAY_TYPES, ...CLINICAL_TYPES, ...WEB_TYPES,
  'MedicationStatement', 'Consent', 'AuditEvent', 'Provenance', 'Bundle', 'Practitioner', 'Organization', 'Specimen', 'ImagingStudy'])];

/** Every way an outsider might have derived a category from a type name, keyless or keyed by public data. */
function guesses(patient: Hex): Set<string> {
  const out = new Set<string>();
  for (const t of DICTIONARY) {
    for (const name of [t, t.toLowerCase(), t.toUpperCase(), `http://hl7.org/fhir/StructureDefinition/${t}`]) {
      out.add(keccak256(toBytes(name)));
      out.add(toHex(sha256(toBytes(name))));
      out.add(toHex(hmac(sha256, hexToBytes(patient), toBytes(name))));
      out.add(keccak256(toBytes(`${patient.toLowerCase()}${name}`)));
    }
    out.add(blindCategory(new Uint8Array(32), t)); // the scheme with an all-zero key
  }
  return out;
}

const observation = (patient: string, value: number) => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
  subject: { reference: `Patient/${patient}` }, valueQuantity: { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
});
const condition = (patient: string) => ({
  resourceType: 'Condition', subject: { reference: `Patient/${patient}` }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }] },
});

test('record categories and grant scopes on chain: no dictionary match, per-patient, mapped back only by the key holders, grants and FHIR search still work', async () => {
  const h = await gatewayHarness({ custodial: ['lab'] });
  const { f } = h;
  const P = f.addr.patient;
  const P2 = f.addr.patient2;
  try {
    const until = async () => (await f.latestTimestamp()) + 100_000n;
    const grant = async (patient: 'patient' | 'patient2', grantee: 'lab' | 'doctor' | 'hospital', permissions: number, scope: { scopeKind: number; scopeValue: Hex } = { scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE }) =>
      f.mined(f.as(patient).consent.write.grant([{ grantee: f.addr[grantee], ...scope, permissions, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: await until() }]));
    const fhir = async (who: 'lab' | 'hospital', method: string, path: string, body?: unknown) =>
      httpCall(h.gateway.url, method, `/fhir${path}`, { token: (await h.client(who)).sessionToken!, body });

    // The victim's records: the lab (an EHR integration whose keys the hospital holds) writes through FHIR.
    await grant('patient', 'lab', Permission.ReadWrite);
    const obs = await fhir('lab', 'POST', '/Observation', observation(P, 101));
    assert.equal(obs.status, 201, obs.text);
    const cond = await fhir('lab', 'POST', '/Condition', condition(P));
    assert.equal(cond.status, 201, cond.text);
    const obsId = `0x${obs.json!.id as string}` as Hex;
    const condId = `0x${cond.json!.id as string}` as Hex;
    // A second patient: their doctor writes client-side with the SDK (category from the gateway).
    await grant('patient2', 'doctor', Permission.ReadWrite);
    await h.waitIndexed();
    const doctor = await h.client('doctor');
    const written = await writeRecordVersion({
      gateway: doctor, client: f.publicClient, addresses: f.addresses, author: { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey },
      patient: P2, resourceType: 'Observation', plaintext: new TextEncoder().encode(JSON.stringify(observation(P2, 99))), escrow: false,
      send: async (call) => f.mined(call.functionName === 'addRecord' ? f.as('doctor').recordRegistry.write.addRecord(call.args) : f.as('doctor').recordRegistry.write.updateRecord(call.args)),
    });
    // The patient scopes a grant to Observations the way the CLI and the web forms do: type parsed offline, blinded before signing.
    const patient = await h.client('patient');
    const scoped = await withBlindedScope(patient, P, { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Observation') });
    await grant('patient', 'hospital', Permission.Read, scoped);
    await h.waitIndexed();
    const victimListing = await patient.listRecords(P);
    const victimCategories = await patient.recordCategories(P, ['Observation', 'Condition']);

    // The attack: raw logs from the node, as another hospital's node or a member through /rpc sees them.
    const logs = await f.provider.request({ method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest' }] }) as Array<{ address: string; topics: [Hex, ...Hex[]]; data: Hex }>;
    const decoded = (abi: typeof RecordRegistryAbi | typeof ConsentAbi, address: string) => logs.filter((l) => l.address.toLowerCase() === address.toLowerCase())
      .map((l) => { try { return decodeEventLog({ abi, topics: l.topics, data: l.data }); } catch { return undefined; } });
    const added = decoded(RecordRegistryAbi, f.addresses.recordRegistry).flatMap((e) => (e?.eventName === 'RecordAdded' ? [e.args] : []));
    const grants = decoded(ConsentAbi, f.addresses.consent).flatMap((e) => (e?.eventName === 'GrantCreated' ? [e.args] : []));
    const categoryOf = (id: Hex) => added.find((a) => a.recordId === id)!.category;
    assert.equal(added.length, 3);
    const scopeOnChain = grants.find((g) => g.grantee === f.addr.hospital)!.scopeValue;

    for (const [who, categories] of [[P, [categoryOf(obsId), categoryOf(condId), scopeOnChain]], [P2, [categoryOf(written.recordId)]]] as const) {
      const dictionary = guesses(who);
      for (const c of categories) assert.ok(!dictionary.has(c.toLowerCase()), `category ${c} of ${who} reversed by a dictionary of ${DICTIONARY.length} type names`);
    }
    assert.notEqual(categoryOf(obsId), categoryOf(written.recordId), 'two patients\' Observations have unrelated categories');
    assert.notEqual(categoryOf(obsId), categoryOf(condId));

    // The attacker asks the victim's gateway for the mapping: no session 401, a provider without a grant 403.
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/categories`, { body: { types: ['Observation'] } })).status, 401);
    const refused = await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/categories`, { token: doctor.sessionToken!, body: { types: [...RECORD_TYPES] } });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /0x[0-9a-f]{64}/);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/patients/${P}/category-key`, { token: doctor.sessionToken! })).status, 403);
    const log = (await patient.audit({ patient: P, limit: 1000 })).entries;
    assert.ok(log.some((e) => e.action === 'categories' && e.actor.toLowerCase() === f.addr.doctor.toLowerCase() && e.outcome === 'denied'), 'the refused attempt is in the patient\'s access log');
    const bad = await httpCall(h.gateway.url, 'POST', `/api/patients/${P}/categories`, { token: patient.sessionToken!, body: { types: ['Foo'] } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /expected a record type/);

    // The key holders map them back: the patient (with their own envelope, no gateway arithmetic) and a live grantee.
    const key = await unwrapCategoryKey(await patient.categoryKeyEnvelope(P), h.encryption.patient.privateKey, P);
    assert.equal(blindCategory(key, 'Observation'), categoryOf(obsId));
    assert.equal(blindCategory(key, 'Condition'), categoryOf(condId));
    assert.deepEqual(await (await h.client('lab')).recordCategories(P, ['Observation', 'Condition']), { Observation: categoryOf(obsId), Condition: categoryOf(condId) });
    assert.equal((await doctor.recordCategory(P2, 'Observation')), categoryOf(written.recordId));
    assert.equal(scopeOnChain, categoryOf(obsId));

    // The scoped grant authorizes that category and not another: on chain, and at the gateway.
    const can = (category: Hex, recordId: Hex) => f.read.consent.read.canAccessRecord([P, f.addr.hospital, category, recordId, Permission.Read]);
    assert.equal(await can(categoryOf(obsId), obsId), true);
    assert.equal(await can(categoryOf(condId), condId), false);
    const hospital = await h.client('hospital');
    const seen = await hospital.listRecords(P);
    assert.deepEqual(seen.records.map((r) => [r.recordId, r.type]), [[obsId, 'Observation']]);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${condId}`, { token: hospital.sessionToken! })).status, 403);
    // Grant listings name the scope's type for the grant's parties only; an admin sees the opaque value.
    const scopeOf = (l: Awaited<ReturnType<typeof hospital.grants>>) => l.active.find((g) => g.grantee === f.addr.hospital)!.scope;
    assert.deepEqual(scopeOf(await hospital.grants({ grantee: f.addr.hospital })), { kind: 'category', value: scopeOnChain, type: 'Observation' });
    assert.deepEqual(scopeOf(await (await h.client('admin')).grants({ patient: P })), { kind: 'category', value: scopeOnChain });
    const consentClass = async (who: 'hospital' | 'admin') => {
      const r = await httpCall(h.gateway.url, 'GET', `/fhir/Consent?patient=${P}`, { token: (await h.client(who)).sessionToken! });
      const consent = (r.json!.entry as Array<{ resource: { provision: { actor: Array<{ reference: { identifier: { value: string } } }>; class?: unknown[] } } }>)
        .find((e) => e.resource.provision.actor[0]!.reference.identifier.value === f.addr.hospital.toLowerCase())!;
      return consent.resource.provision.class;
    };
    assert.deepEqual(await consentClass('hospital'), [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }]);
    assert.deepEqual(await consentClass('admin'), [{ system: 'urn:medchain:category', code: scopeOnChain }]);

    // FHIR search by type: the right records, by the patient's blinded categories, plus a record written with the legacy public hash.
    const legacy = await h.addRecord('lab', 'patient', observation(P, 140));
    assert.equal(legacy.category, recordCategory('Observation'));
    await h.waitIndexed();
    const found = await fhir('lab', 'GET', `/Observation?patient=${P}`);
    assert.equal(found.status, 200, found.text);
    assert.deepEqual((found.json!.entry as Array<{ resource: { id: string } }>).map((e) => `0x${e.resource.id}`).sort(), [obsId, legacy.recordId].sort());
    const conditions = await fhir('lab', 'GET', `/Condition?patient=${P}`);
    assert.deepEqual((conditions.json!.entry as Array<{ resource: { id: string } }>).map((e) => `0x${e.resource.id}`), [condId]);
    const listed = await patient.listRecords(P);
    assert.deepEqual(listed.records.map((r) => r.type), ['Observation', 'Condition', 'Observation'], 'listings name blinded and legacy categories');

    // Nothing changed for the victim: same listing, same categories, records still decrypt; the key survives a restart.
    assert.deepEqual(listed.records.slice(0, 2), victimListing.records);
    await h.restart();
    const again = await h.client('patient');
    assert.deepEqual(await again.recordCategories(P, ['Observation', 'Condition']), victimCategories);
    const opened = await readRecordVersion({ gateway: again, client: f.publicClient, addresses: f.addresses, recordId: obsId, privateKeys: [h.encryption.patient.privateKey] });
    assert.equal(opened.integrityVerified, true);
    assert.equal((JSON.parse(new TextDecoder().decode(opened.plaintext)) as { valueQuantity: { value: number } }).valueQuantity.value, 101);
  } finally {
    await h.close();
  }
});
