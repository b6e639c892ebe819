// FHIR R4 clinical resources over real HTTP on a real chain: an EHR integration whose keys the
// hospital holds writes and reads encrypted resources through /fhir, another hospital gets in only
// with the patient's grant and key share, a device pushes Observations, and every response is a
// valid R4 resource or an OperationOutcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Permission, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { envelopeForNewReader } from '../../src/sdk/records.ts';
import { validateResource } from '../../src/gateway/fhir/validate.ts';
import { gatewayHarness, httpCall, type Hex } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

const LOINC = 'http://loinc.org';
const heartRate = (patient: string, bpm: number, when: string) => ({
  resourceType: 'Observation', status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` }, effectiveDateTime: when,
  valueQuantity: { value: bpm, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
});

test('FHIR clinical resources: create, read, update, history, search, Bundle, Provenance, $everything — all from chain state', async () => {
  const h = await gatewayHarness({ custodial: ['lab', 'hospital', 'device'] });
  const { f } = h;
  const P = f.addr.patient;
  try {
    const token = async (a: 'lab' | 'hospital' | 'doctor' | 'patient' | 'device') => (await h.client(a)).sessionToken!;
    const fhir = async (a: 'lab' | 'hospital' | 'doctor' | 'patient' | 'device', method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      httpCall(h.gateway.url, method, `/fhir${path}`, { token: await token(a), body, headers });
    const isOutcome = (r: { json?: Record<string, unknown> }) => r.json?.resourceType === 'OperationOutcome';
    const grant = async (grantee: 'lab' | 'hospital' | 'device', permissions: number, scope: { kind: number; value: Hex } = { kind: ScopeKind.All, value: ZERO_SCOPE }) => {
      await f.mined(f.as('patient').consent.write.grant([{
        grantee: f.addr[grantee], scopeKind: scope.kind, scopeValue: scope.value, permissions, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: (await f.latestTimestamp()) + 100_000n,
      }]));
      return f.read.consent.read.grantCount();
    };

    // Without a grant the EHR integration may not write; a provider whose key the hospital does not hold is told to encrypt client-side.
    const denied = await fhir('lab', 'POST', '/Observation', heartRate(P, 72, '2026-03-01T08:00:00Z'));
    assert.equal(denied.status, 403);
    assert.ok(isOutcome(denied));
    const e2e = await fhir('doctor', 'POST', '/Observation', heartRate(P, 72, '2026-03-01T08:00:00Z'));
    assert.equal(e2e.status, 403);
    assert.match(JSON.stringify(e2e.json), /end-to-end encrypted/);

    const labGrant = await grant('lab', Permission.ReadWrite);
    const created = await fhir('lab', 'POST', '/Observation', heartRate(P, 72, '2026-03-01T08:00:00Z'));
    assert.equal(created.status, 201, created.text);
    const id = created.json!.id as string;
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(created.headers.get('location'), `${h.gateway.url}/fhir/Observation/${id}/_history/1`);
    assert.equal((created.json!.meta as { versionId: string }).versionId, '1');
    // On chain: only ids and hashes; the stored ciphertext does not contain the value.
    const record = await f.read.recordRegistry.read.getRecord([`0x${id}`]);
    assert.equal(record.patient, P);
    // The category is the patient's blinded one (issue 14 item 5), not the public hash of the type.
    const observations = await (await h.client('patient')).recordCategory(P, 'Observation');
    assert.equal(record.category, observations);
    assert.notEqual(record.category, recordCategory('Observation'));

    const read = await fhir('lab', 'GET', `/Observation/${id}`);
    assert.equal(read.status, 200);
    assert.equal((read.json!.valueQuantity as { value: number }).value, 72);
    assert.equal(read.headers.get('etag'), 'W/"1"');
    validateResource(read.json);

    // Bad input: a clear 4xx OperationOutcome, and nothing written.
    const before = (await f.read.recordRegistry.read.recordsOf([P])).length;
    const invalid = await fhir('lab', 'POST', '/Observation', { ...heartRate(P, 80, '2026-03-02'), status: undefined, valueQuantity: { value: 'fast' } });
    assert.equal(invalid.status, 422);
    assert.ok(isOutcome(invalid));
    assert.equal((await fhir('lab', 'POST', '/Observation', { ...heartRate(P, 80, '2026-03-02'), resourceType: 'Condition' })).status, 400);
    assert.equal((await fhir('lab', 'POST', '/Observation', '{"resourceType": "Obs')).status, 400);
    assert.equal((await fhir('lab', 'POST', '/Observation', { ...heartRate(P, 80, '2026-03-02'), subject: undefined })).status, 400);
    assert.equal((await fhir('lab', 'GET', '/Spaceship/abc')).status, 404);
    assert.equal((await fhir('lab', 'GET', `/Condition/${id}`)).status, 404, 'an Observation is not a Condition');
    assert.equal((await fhir('lab', 'GET', '/Observation?patient=not-an-address')).status, 400);
    assert.equal((await fhir('lab', 'GET', `/Observation?patient=${P}&date=yesterday`)).status, 400);
    assert.equal((await fhir('lab', 'GET', `/Observation?patient=${P}&colour=red`)).status, 400);
    assert.equal((await f.read.recordRegistry.read.recordsOf([P])).length, before);

    // Update with optimistic locking; history; vread.
    const updated = await fhir('lab', 'PUT', `/Observation/${id}`, { ...heartRate(P, 75, '2026-03-01T08:00:00Z'), id }, { 'if-match': 'W/"1"' });
    assert.equal(updated.status, 200, updated.text);
    assert.equal((updated.json!.meta as { versionId: string }).versionId, '2');
    const stale = await fhir('lab', 'PUT', `/Observation/${id}`, { ...heartRate(P, 99, '2026-03-01T08:00:00Z'), id }, { 'if-match': 'W/"1"' });
    assert.equal(stale.status, 412, 'a stale If-Match is a failed precondition (RFC 9110)');
    const history = await fhir('lab', 'GET', `/Observation/${id}/_history`);
    assert.equal(history.json!.type, 'history');
    assert.deepEqual((history.json!.entry as Array<{ resource: { meta: { versionId: string } } }>).map((e) => e.resource.meta.versionId), ['2', '1']);
    validateResource(history.json);
    assert.equal(((await fhir('lab', 'GET', `/Observation/${id}/_history/1`)).json!.valueQuantity as { value: number }).value, 72);
    assert.equal((await fhir('lab', 'GET', `/Observation/${id}/_history/3`)).status, 404);

    // A Bundle transaction: all or nothing on bad input, then both written.
    const condition = { resourceType: 'Condition', subject: { reference: `Patient/${P}` }, code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] }, recordedDate: '2025-11-02' };
    const immunization = { resourceType: 'Immunization', status: 'completed', patient: { reference: `Patient/${P}` }, vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] }, occurrenceDateTime: '2025-10-01' };
    const bad = await fhir('lab', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: condition, request: { method: 'POST', url: 'Condition' } },
      { resource: { ...immunization, vaccineCode: 'flu' }, request: { method: 'POST', url: 'Immunization' } },
    ] });
    assert.equal(bad.status, 422);
    assert.equal((await f.read.recordRegistry.read.recordsOf([P])).length, before);
    const tx = await fhir('lab', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: condition, request: { method: 'POST', url: 'Condition' } },
      { resource: immunization, request: { method: 'POST', url: 'Immunization' } },
    ] });
    assert.equal(tx.status, 200, tx.text);
    assert.equal(tx.json!.type, 'transaction-response');
    assert.deepEqual((tx.json!.entry as Array<{ response: { status: string } }>).map((e) => e.response.status), ['201 Created', '201 Created']);
    validateResource(tx.json);
    await h.waitIndexed();

    // Search: by patient, by code (blind index), by date.
    const search = async (query: string) => {
      const r = await fhir('lab', 'GET', `/Observation?${query}`);
      assert.equal(r.status, 200, r.text);
      validateResource(r.json);
      return r.json!.total as number;
    };
    assert.equal(await search(`patient=Patient/${P}`), 1);
    assert.equal(await search(`patient=${P}&code=${LOINC}|8867-4`), 1);
    assert.equal(await search(`patient=${P}&code=${LOINC}|2339-0`), 0);
    assert.equal(await search(`patient=${P}&code=8867-4`), 1);
    assert.equal(await search(`patient=${P}&date=ge2026-01-01`), 1);
    assert.equal(await search(`patient=${P}&date=lt2026`), 0);
    assert.equal(await search(`patient=${P}&date=2026-03`), 1);
    const tokens = await h.gateway.db.query('SELECT token FROM record_tokens WHERE record_id = $1', [`0x${id}`]);
    assert.ok(tokens.length >= 2, 'the Observation is indexed by blind tokens of its codes');

    // Provenance from on-chain authorship.
    const provenance = await fhir('lab', 'GET', `/Provenance?target=Observation/${id}`);
    assert.equal(provenance.status, 200);
    validateResource(provenance.json);
    const authors = (provenance.json!.entry as Array<{ resource: { agent: Array<{ who: { identifier: { value: string } } }> } }>).map((e) => e.resource.agent[0]!.who.identifier.value);
    assert.deepEqual(authors, [f.addr.lab, f.addr.lab]);

    // Another hospital: nothing without a grant, not even totals; with a grant but no key share, no data; after the patient shares, data.
    assert.equal((await fhir('hospital', 'GET', `/Observation/${id}`)).status, 403);
    assert.equal(((await fhir('hospital', 'GET', `/Observation?patient=${P}`)).json!.total as number), 0);
    const everythingDenied = await fhir('hospital', 'GET', `/Patient/${P}/$everything`);
    assert.equal(everythingDenied.json!.total, 0);
    await grant('hospital', Permission.Read, { kind: ScopeKind.Category, value: observations });
    const noKey = await fhir('hospital', 'GET', `/Observation/${id}`);
    assert.equal(noKey.status, 403);
    assert.match(JSON.stringify(noKey.json), /no key/);
    const patient = await h.client('patient');
    const own = await patient.getEnvelope(`0x${id}`, 2);
    const shared = await envelopeForNewReader(own.envelope, h.encryption.patient.privateKey, { address: f.addr.hospital, publicKey: h.encryption.hospital.publicKey }, `0x${id}`, 2, P);
    await patient.share(`0x${id}`, 2, f.addr.hospital, shared.envelope);
    const other = await fhir('hospital', 'GET', `/Observation/${id}`);
    assert.equal(other.status, 200);
    assert.equal((other.json!.valueQuantity as { value: number }).value, 75);
    // The category grant covers Observations only.
    const everything = await fhir('hospital', 'GET', `/Patient/${P}/$everything`);
    const types = (everything.json!.entry as Array<{ resource: { resourceType: string } }>).map((e) => e.resource.resourceType).sort();
    assert.deepEqual(types, ['Consent', 'Observation']);
    const labEverything = await fhir('lab', 'GET', `/Patient/${P}/$everything`);
    validateResource(labEverything.json);
    assert.deepEqual((labEverything.json!.entry as Array<{ resource: { resourceType: string } }>).map((e) => e.resource.resourceType).sort(), ['Condition', 'Consent', 'Immunization', 'Observation']);

    // A wearable: registered by the patient, with a write grant on Observations only.
    await f.registerDevice('patient');
    await grant('device', Permission.Write, { kind: ScopeKind.Category, value: observations });
    const pushed = await fhir('device', 'POST', '/Observation', heartRate(P, 64, '2026-03-03T07:00:00Z'));
    assert.equal(pushed.status, 201, pushed.text);
    assert.equal((await fhir('device', 'POST', '/Condition', condition)).status, 403);
    assert.equal((await fhir('device', 'POST', '/Observation', heartRate(f.addr.patient2, 64, '2026-03-03T07:00:00Z'))).status, 403);

    // Revocation ends the integration's access at once.
    await f.mined(f.as('patient').consent.write.revoke([labGrant]));
    assert.equal((await fhir('lab', 'GET', `/Observation/${id}`)).status, 403);
    const log = await patient.audit({ patient: P, limit: 1000 });
    assert.ok(log.entries.some((e) => e.action === 'create' && e.outcome === 'allowed'));
    assert.ok(log.entries.some((e) => e.action === 'read' && e.outcome === 'denied' && e.reason === 'revoked'));
  } finally {
    await h.close();
  }
});
