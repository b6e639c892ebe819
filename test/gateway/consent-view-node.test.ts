/**
 * The consent view on the embedded node, as `medchain start` runs it: the node announces each
 * sealed block in process, so the gateway knows the head without asking (no head call, no
 * eth_call per read) and a read that follows a block waits for the view to apply it — a grant or
 * revocation mined on chain decides the very next read, with no wait for the indexer's poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Permission } from '../../src/sdk/contracts.ts';
import { httpCall } from './harness.ts';
import { productionGateway } from '../fhir/productionGateway.ts';

const observation = (patient: string) => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` }, effectiveDateTime: '2026-03-01T08:00:00Z',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
});

test('on the embedded node the view follows announced blocks: no head or eth_call per read, a mined revocation denies the next read', async () => {
  const g = await productionGateway();
  try {
    const P = g.addr.patient;
    const fhir = async (who: 'lab' | 'hospital', method: string, path: string, body?: unknown) =>
      httpCall(g.gateway.url, method, `/fhir${path}`, { token: await g.token(who), body, headers: { 'content-type': 'application/fhir+json' } });
    await g.token('lab');
    await g.token('hospital');
    await g.grant('lab', Permission.ReadWrite);
    const created = await fhir('lab', 'POST', '/Observation', observation(P));
    assert.equal(created.status, 201, created.text);
    const id = created.json!.id as string;
    // The record's ciphertext over REST: authorization only (the hospital holds no key envelope for it).
    const ciphertext = async (who: 'lab' | 'hospital') => (await httpCall(g.gateway.url, 'GET', `/api/records/0x${id}/versions/1/ciphertext`, { token: await g.token(who) })).status;

    const before = g.gateway.access.cacheStats();
    assert.equal((await fhir('lab', 'GET', `/Observation/${id}`)).status, 200);
    assert.equal(await ciphertext('lab'), 200);
    assert.equal(await ciphertext('hospital'), 403, 'no grant yet');
    // Granted on chain, no wait for the indexer: the next read is allowed.
    await g.grant('hospital', Permission.Read);
    assert.equal(await ciphertext('hospital'), 200, 'the block with the grant decides the next read');
    // Revoked on chain: the next read is denied.
    const grantId = await g.as('patient').consent.read.grantCount();
    await g.mined(g.as('patient').consent.write.revoke([grantId]));
    assert.equal(await ciphertext('hospital'), 403, 'the block with the revocation decides the next read');
    const after = g.gateway.access.cacheStats();
    assert.equal(after.headCalls, 0, 'the node announces its blocks: no head call');
    assert.equal(after.misses, before.misses, 'no eth_call for any decision');
    assert.equal(after.fallbacks, before.fallbacks, 'the view caught up within the wait every time');
    assert.ok(after.viewDecisions - before.viewDecisions >= 4);
  } finally {
    await g.close();
  }
});
