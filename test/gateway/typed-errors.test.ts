/**
 * The gateway answers every refusal with one JSON shape ({ error, code, … }) and the SDK turns it
 * into classes callers match on: a relayed transaction the contracts refuse arrives as
 * ChainRefusedError with the custom error's name, a denied read as AccessDeniedError with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { AccessDeniedError, ChainRefusedError, NotFoundError, UnauthenticatedError, type GatewayError } from '../../src/sdk/errors.ts';
import { gatewayHarness, httpCall } from './harness.ts';

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  try { await p; } catch (error) { return error as GatewayError; }
  assert.fail('expected a refusal');
}

test('refusals arrive typed: chain refusal by contract error name, denial with its reason, 401 and 404 by class', { timeout: 120_000 }, async () => {
  const h = await gatewayHarness();
  try {
    const patient = await h.client('patient');
    const lab = await h.client('lab');
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, valueQuantity: { value: 6.1, unit: '%' } });
    await h.waitIndexed();
    const grantsBefore = await h.f.read.consent.read.grantCount();

    // A revocation relayed with a signature that is not the patient's: the contracts refuse it by name.
    const now = await h.f.latestTimestamp();
    const forged = await refusal(patient.relayRevoke(1, { patient: h.f.addr.patient, deadline: now + 600n, signature: `0x${'11'.repeat(65)}` }));
    assert.ok(forged instanceof ChainRefusedError, `got ${forged.name}: ${forged.message}`);
    assert.equal(forged.code, 'chain_refused');
    assert.match(forged.errorName, /^[A-Z][A-Za-z]+$/, 'the custom error of the contract, by name');
    assert.deepEqual((forged.body as { code: string }).code, 'chain_refused');
    assert.equal(await h.f.read.consent.read.grantCount(), grantsBefore, 'nothing changed on chain');

    // A provider with no grant reads the record: denied, with the reason the rule gave.
    const denied = await refusal(lab.getEnvelope(record.recordId, 1));
    assert.ok(denied instanceof AccessDeniedError, `got ${denied.name}: ${denied.message}`);
    assert.equal(denied.code, 'access_denied');
    assert.equal(denied.reason, 'no-grant');

    // Without a session; and an unknown record.
    const anonymous = await refusal(new GatewayClient(h.gateway.url).getRecord(record.recordId));
    assert.ok(anonymous instanceof UnauthenticatedError, `got ${anonymous.name}`);
    const missing = await refusal(patient.getRecord(`0x${'ab'.repeat(32)}`));
    assert.ok(missing instanceof NotFoundError, `got ${missing.name} ${missing.message}`);

    // Every refusal body carries a code, also for input errors.
    const bad = await httpCall(h.gateway.url, 'GET', '/api/records/not-an-id', { token: patient.sessionToken });
    assert.equal(bad.status, 400);
    assert.equal(bad.json?.code, 'invalid_input');
  } finally {
    await h.close();
  }
});
