/**
 * Every denial is in the access log the same way, also those decided outside a single-record read:
 * a FHIR transaction Bundle refused before any write, and the records a REST listing or a FHIR
 * search leaves out. The patient sees each attempt in their trail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayHarness, httpCall } from './harness.ts';

const LOINC = 'http://loinc.org';
const heartRate = (patient: string, bpm: number) => ({
  resourceType: 'Observation', status: 'final',
  code: { coding: [{ system: LOINC, code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` }, effectiveDateTime: '2026-03-01T08:00:00Z',
  valueQuantity: { value: bpm, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
});

test('denials in FHIR Bundles, searches and listings are logged, and change nothing', { timeout: 120_000 }, async () => {
  const h = await gatewayHarness({ custodial: ['lab'] });
  const P = h.f.addr.patient;
  try {
    await h.addRecord('patient', 'patient', heartRate(P, 70));
    await h.addRecord('patient', 'patient', heartRate(P, 71));
    await h.waitIndexed();
    const lab = await h.client('lab');
    const patient = await h.client('patient');
    const recordsBefore = await h.f.read.recordRegistry.read.recordsOf([P]);
    const fhir = (method: string, path: string, body?: unknown) => httpCall(h.gateway.url, method, `/fhir${path}`, { token: lab.sessionToken, body });

    // A transaction Bundle for a patient who granted nothing: refused as a whole, nothing written.
    const bundle = await fhir('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: heartRate(P, 99), request: { method: 'POST', url: 'Observation' } }] });
    assert.equal(bundle.status, 403, bundle.text);
    assert.equal(bundle.json?.resourceType, 'OperationOutcome');
    // A search and a listing: nothing readable is shown.
    const search = await fhir('GET', `/Observation?patient=${P}`);
    assert.equal(search.status, 200, search.text);
    assert.equal((search.json?.entry as unknown[] | undefined)?.length ?? 0, 0);
    const listed = await lab.listRecords(P);
    assert.equal(listed.records.length, 0);

    assert.deepEqual(await h.f.read.recordRegistry.read.recordsOf([P]), recordsBefore, 'no record was added');
    const trail = (await patient.audit({ patient: P, limit: 1000 })).entries.filter((e) => e.actor.toLowerCase() === h.f.addr.lab.toLowerCase());
    const denied = trail.filter((e) => e.outcome === 'denied');
    assert.ok(denied.some((e) => e.action === 'bundle-create' && e.reason === 'no-grant'), JSON.stringify(trail));
    assert.ok(denied.some((e) => e.action === 'search' && e.reason === '2 not readable'), JSON.stringify(trail));
    assert.ok(denied.some((e) => e.action === 'list' && e.reason === '2 not readable'), JSON.stringify(trail));
  } finally {
    await h.close();
  }
});
