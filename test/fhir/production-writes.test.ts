// Issue 13 finding 6: custodial FHIR writes on the embedded node in production mode (as `medchain
// start` runs it). The node holds no keys and refuses eth_sendTransaction, so the gateway must sign
// the custodial account's transactions itself; and a write that fails at the chain must not leak
// record ids, addresses, CIDs, hashes or calldata into the log, nor be logged as a success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpCall } from '../gateway/harness.ts';
import { productionGateway } from './productionGateway.ts';

const observation = (patient: string, value: number) => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` }, effectiveDateTime: '2026-03-01T08:00:00Z',
  valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
});

test('custodial FHIR writes on a production-mode node are signed locally; a failing write logs no identifiers and is audited as failed', async () => {
  const g = await productionGateway();
  try {
    const P = g.addr.patient;
    assert.deepEqual(await g.node.request({ method: 'eth_accounts' } as never), [], 'a production node holds no keys');
    await assert.rejects(g.node.request({ method: 'eth_sendTransaction', params: [{ from: g.addr.lab, to: g.addr.lab }] } as never), /only available in dev mode/);
    await g.grant('lab');
    await g.grant('ward');
    const fhir = async (who: 'lab' | 'ward' | 'patient', method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      httpCall(g.gateway.url, method, `/fhir${path}`, { token: await g.token(who), body, headers: { 'content-type': 'application/fhir+json', ...headers } });

    const created = await fhir('lab', 'POST', '/Observation', observation(P, 72));
    assert.equal(created.status, 201, created.text);
    const id = created.json!.id as string;
    const record = await g.as('lab').recordRegistry.read.getRecord([`0x${id}`]);
    assert.equal(record.patient, P, 'registered on chain from the lab\'s own account');
    const updated = await fhir('lab', 'PUT', `/Observation/${id}`, { ...observation(P, 75), id }, { 'if-match': 'W/"1"' });
    assert.equal(updated.status, 200, updated.text);
    const tx = await fhir('lab', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(P, 80), request: { method: 'POST', url: 'Observation' } }] });
    assert.equal(tx.status, 200, tx.text);
    const batch = await fhir('lab', 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: observation(P, 81), request: { method: 'POST', url: 'Observation' } }] });
    assert.equal(batch.status, 200, batch.text);
    assert.deepEqual((batch.json!.entry as Array<{ response: { status: string } }>).map((e) => e.response.status), ['201 Created']);
    const read = await fhir('lab', 'GET', `/Observation/${id}`);
    assert.equal((read.json!.valueQuantity as { value: number }).value, 75);

    // The ward's account loses its right to send transactions on the node (permissioning): its write
    // passes authorization and simulation, then the node refuses the signed transaction.
    await g.node.request({ method: 'perm_removeAccountsFromAllowlist', params: [[g.addr.ward]] } as never);
    const recordsBefore = await g.as('lab').recordRegistry.read.recordsOf([P]);
    const logFrom = g.logLines.length;
    const failed = await fhir('ward', 'POST', '/Observation', observation(P, 99));
    assert.ok(failed.status >= 500, failed.text);
    assert.equal(failed.json!.resourceType, 'OperationOutcome');
    assert.doesNotMatch(failed.text, /0x[0-9a-f]{8}/i, 'no ids or calldata in the answer');
    assert.deepEqual(await g.as('lab').recordRegistry.read.recordsOf([P]), recordsBefore, 'nothing written');
    const logged = g.logLines.slice(logFrom).join('\n');
    assert.match(logged, /unhandled error|write failed/, 'the failure is logged');
    for (const secret of [P, g.addr.ward, g.addresses.recordRegistry]) assert.ok(!logged.toLowerCase().includes(secret.slice(2, 12).toLowerCase()), `the log names no address (${logged})`);
    assert.doesNotMatch(logged, /0x[0-9a-f]{8}|[0-9a-f]{32}|bafk/i, 'no hex ids, hashes, calldata or CIDs in the log');
    // The access log records the create as failed, not as a success.
    const audit = await g.gateway.accessLog.entries({ actor: g.addr.ward, limit: 100 });
    const creates = audit.filter((e) => e.action === 'create');
    assert.equal(creates.length, 1, JSON.stringify(creates));
    assert.equal(creates[0]!.outcome, 'failed');
  } finally {
    await g.close();
  }
});
