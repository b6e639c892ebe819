/**
 * FHIR R4 at /fhir over real HTTP: the CapabilityStatement, grants as Consent and the access log as
 * AuditEvent — each resource validated against the R4 StructureDefinitions — and errors as
 * OperationOutcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Permission, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { FhirError, validateResource } from '../../src/gateway/fhir/validate.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

test('the validator knows R4: required elements, cardinality, unknown resource types', () => {
  assert.doesNotThrow(() => validateResource({ resourceType: 'Observation', status: 'final', code: { text: 'heart rate' } }));
  assert.throws(() => validateResource({ resourceType: 'Observation', code: { text: 'x' } }), (e: FhirError) => e.status === 422 && /Observation\.status/.test(JSON.stringify(e.outcome)));
  assert.throws(() => validateResource({ resourceType: 'Consent', status: 'active' }), (e: FhirError) => /Consent\.(scope|category)/.test(JSON.stringify(e.outcome)));
  assert.throws(() => validateResource({ resourceType: 'NoSuchThing' }), FhirError);
  assert.throws(() => validateResource('not json'), (e: FhirError) => e.status === 400);
});

test('/fhir: metadata, Consent and AuditEvent searches as valid R4, errors as OperationOutcome', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const metadata = await httpCall(h.gateway.url, 'GET', '/fhir/metadata');
    assert.equal(metadata.status, 200);
    assert.equal(metadata.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    validateResource(metadata.json);
    assert.equal(metadata.json!.fhirVersion, '4.0.1');

    const now = await f.latestTimestamp();
    await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.doctor, scopeKind: ScopeKind.Category, scopeValue: recordCategory('Observation'), permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 600n }]));
    // The purpose as the patient's gateway tags it (blinded per patient and grantee): the FHIR Consent names it again.
    const research = await (await h.client('patient')).purposeTag(f.addr.patient, f.addr.lab, 'Research');
    await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.lab, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: research, validFrom: 0n, validUntil: now + 600n }]));
    await f.mined(f.as('patient').consent.write.revoke([2n]));
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'weight' } });
    await (await h.client('doctor')).getRecord(record.recordId);
    await assert.rejects((await h.client('lab')).getRecord(record.recordId), /403/);
    await h.waitIndexed();

    const token = (await h.client('patient')).sessionToken!;
    const consents = await httpCall(h.gateway.url, 'GET', `/fhir/Consent?patient=${f.addr.patient}`, { token });
    assert.equal(consents.status, 200);
    const bundle = consents.json as { type: string; total: number; entry: Array<{ resource: Record<string, unknown> }> };
    assert.equal(bundle.type, 'searchset');
    assert.equal(bundle.total, 2);
    validateResource(bundle);
    for (const { resource } of bundle.entry) validateResource(resource);
    const [doctorConsent, labConsent] = bundle.entry.map((e) => e.resource as { status: string; provision: { class?: Array<{ code: string }>; purpose: Array<{ code: string }>; actor: Array<{ reference: { identifier: { value: string } } }> } });
    assert.equal(doctorConsent!.status, 'active');
    assert.equal(doctorConsent!.provision.class![0]!.code, 'Observation', 'the category hash maps back to its resource type');
    assert.equal(doctorConsent!.provision.actor[0]!.reference.identifier.value, f.addr.doctor.toLowerCase());
    assert.equal(labConsent!.status, 'inactive');
    assert.equal(labConsent!.provision.purpose[0]!.code, 'HRESCH');
    const one = await httpCall(h.gateway.url, 'GET', '/fhir/Consent/grant-1', { token: (await h.client('doctor')).sessionToken });
    assert.equal(one.status, 200, 'the grantee reads the consent made to them');
    assert.equal((await httpCall(h.gateway.url, 'GET', '/fhir/Consent/grant-1', { token: (await h.client('patient2')).sessionToken })).status, 403);

    const audit = await httpCall(h.gateway.url, 'GET', `/fhir/AuditEvent?patient=Patient/${f.addr.patient}`, { token });
    assert.equal(audit.status, 200);
    validateResource(audit.json);
    const events = (audit.json as { entry: Array<{ resource: { outcome: string; agent: Array<{ who: { identifier: { value: string } } }> } }> }).entry.map((e) => e.resource);
    for (const event of events) validateResource(event);
    assert.ok(events.some((e) => e.outcome === '0' && e.agent[0]!.who.identifier.value === f.addr.doctor.toLowerCase()), 'the doctor\'s read, allowed by the Observation grant');
    assert.ok(events.some((e) => e.outcome === '4' && e.agent[0]!.who.identifier.value === f.addr.lab.toLowerCase()), 'the lab\'s read, denied after revocation');

    // Errors are OperationOutcomes with a clear diagnostic.
    for (const [path, status, code] of [
      ['/fhir/Consent?actor=bob', 400, 'value'], [`/fhir/Consent?patient=${f.addr.patient}&color=blue`, 400, 'not-supported'],
      ['/fhir/Consent?patient=bob', 400, 'value'], ['/fhir/Consent/grant-99', 404, 'not-found'], ['/fhir/Observation/1', 404, 'not-found'],
      [`/fhir/AuditEvent?patient=${f.addr.patient2}`, 403, 'forbidden'],
    ] as const) {
      const r = await httpCall(h.gateway.url, 'GET', path, { token });
      assert.equal(r.status, status, path);
      assert.equal(r.json!.resourceType, 'OperationOutcome', path);
      const issue = (r.json!.issue as Array<{ code: string; diagnostics: string }>)[0]!;
      assert.equal(issue.code, code, path);
      assert.ok(issue.diagnostics.length > 0);
      validateResource(r.json);
    }
    const anonymous = await httpCall(h.gateway.url, 'GET', `/fhir/Consent?patient=${f.addr.patient}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json!.resourceType, 'OperationOutcome');
  } finally {
    await h.close();
  }
});
