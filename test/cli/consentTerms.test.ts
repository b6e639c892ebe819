/**
 * Issue 15, items 2–5, as a user meets them on the command line, against a running `medchain start`:
 * approving a request with one amended flag keeps every other requested term (no silent widening to
 * scope `all`); the final terms are printed before signing and are exactly what the chain holds; an
 * unknown --scope category is refused with the valid list; invalid FHIR is refused before anything is
 * encrypted; a --for window counts from just before signing, with its exact end announced.
 * Each refusal is checked to change nothing (no grant, no record).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ok, startMedchain, stop } from './cliHarness.ts';

interface GrantRow { grantId: number; scope: { kind: string; value: string }; read: boolean; write: boolean; purpose: string; validFrom: number; validUntil: number }
interface Grants { active: GrantRow[]; upcoming: GrantRow[]; expired: GrantRow[]; revoked: GrantRow[] }
const all = (g: Grants) => [...g.active, ...g.upcoming, ...g.expired, ...g.revoked];

test('CLI consent terms: amended approval keeps the request, --scope and FHIR checked, exact window end', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-terms-'));
  const running = await startMedchain(['--port', '0', '--rpc-port', '0', '--data-dir', dataDir]);
  try {
    const g = (...args: string[]) => [...args, '--data-dir', dataDir, '--gateway', running.url, '--json'];
    const [, provider] = await Promise.all([ok(g('keys', 'new', 'alice')), ok<{ address: string }>(g('keys', 'new', 'drbob'))]);
    await Promise.all([ok(g('patient', 'register', '--key', 'alice')), ok(g('provider', 'apply', '--key', 'drbob', '--kind', 'doctor'))]);
    await ok(g('admin', 'accredit', provider.address, '--key', join(dataDir, 'keys', 'admin.json')));
    const alice = (await ok<{ me: { address: string } }>(g('status', '--key', 'alice'))).me.address;

    // Item 3: an unknown category is refused with the valid ones, before any prompt or transaction.
    const foo = await cli(g('grant', 'create', '--key', 'alice', '--to', provider.address, '--scope', 'Foo'));
    assert.equal(foo.code, 2, foo.stderr);
    assert.match(foo.stderr, /--scope "Foo" is not a record category: use all, record:<id> or one of Patient, Observation, Condition/);
    assert.equal(foo.stderr.trim().split('\n').length, 1);
    const lower = await cli(g('grant', 'create', '--key', 'alice', '--to', provider.address, '--scope', 'condition'));
    assert.match(lower.stderr, /did you mean Condition\?/);

    // Item 4: invalid FHIR is refused with the validator's message; nothing is stored.
    const bogus = join(dataDir, 'bogus.json');
    writeFileSync(bogus, JSON.stringify({ resourceType: 'Observation', status: 'bogus-status', code: { text: 'HbA1c' }, valueQuantity: { value: 'six', unit: '%' } }));
    const invalid = await cli(g('record', 'add', bogus, '--key', 'alice'));
    assert.equal(invalid.code, 2, invalid.stderr);
    assert.match(invalid.stderr, /is not valid FHIR R4: .*Observation\.value\[x\]\.value Invalid JSON type: expected number/);
    assert.match(invalid.stderr, /Observation\.status Value "bogus-status" is not in the required value set \(one of registered, preliminary, final/);
    const unknownType = join(dataDir, 'questionnaire.json');
    writeFileSync(unknownType, JSON.stringify({ resourceType: 'Questionnaire', status: 'active' }));
    assert.match((await cli(g('record', 'add', unknownType, '--key', 'alice'))).stderr, /Questionnaire is not a record type; one of Patient, Observation/);
    assert.deepEqual((await ok<{ records: unknown[] }>(g('record', 'list', '--key', 'alice'))).records, [], 'nothing was stored');
    assert.deepEqual(all(await ok<Grants>(g('grant', 'list', '--key', 'alice'))), [], 'no grant was made by the refused commands');

    // Item 2: the provider asks for Condition, read, research; the patient amends only the window and adds write.
    const request = await ok<{ requestId: number }>(g('request', 'create', '--key', 'drbob', '--patient', alice, '--scope', 'Condition', '--purpose', 'research', '--for', '2h'));
    const approve = await cli(g('request', 'approve', String(request.requestId), '--key', 'alice', '--for', '30m', '--write'));
    assert.equal(approve.code, 0, approve.stderr);
    const approved = JSON.parse(approve.stdout) as { grantId: number; requested: Record<string, unknown>; terms: Record<string, unknown>; validFrom: number; validUntil: number };
    assert.deepEqual([approved.requested.scope, approved.requested.read, approved.requested.write, approved.requested.purpose], ['Condition', true, false, 'research']);
    assert.deepEqual([approved.terms.scope, approved.terms.read, approved.terms.write, approved.terms.purpose], ['Condition', true, true, 'research'], 'only what was amended changed');
    assert.match(approve.stderr, /^signing a grant to 0x[0-9a-fA-F]{40}: read\+write · Condition · research · from the block that includes it until \S+Z \(30m\)$/m, 'the terms are printed before signing');
    const onChain = all(await ok<Grants>(g('grant', 'list', '--key', 'alice'))).find((x) => x.grantId === approved.grantId)!;
    assert.deepEqual([onChain.scope.kind, onChain.read, onChain.write, onChain.purpose], ['category', true, true, 'research'], 'the chain holds the printed terms, not scope all');
    assert.equal(onChain.validUntil, approved.terms.validUntil);

    // Explicit narrowing: --permissions sets them exactly, --scope replaces the category.
    const request2 = await ok<{ requestId: number }>(g('request', 'create', '--key', 'drbob', '--patient', alice, '--scope', 'Observation', '--read', '--write', '--for', '1h'));
    const narrowed = await ok<{ terms: Record<string, unknown> }>(g('request', 'approve', String(request2.requestId), '--key', 'alice', '--permissions', 'read', '--scope', 'Condition'));
    assert.deepEqual([narrowed.terms.scope, narrowed.terms.read, narrowed.terms.write], ['Condition', true, false]);

    // Item 5: --for 60s counts from just before signing; the end announced before signing is the end on chain.
    const startedAt = Math.floor(Date.now() / 1000);
    const create = await cli(g('grant', 'create', '--key', 'alice', '--to', provider.address, '--scope', 'Observation', '--for', '60s'));
    assert.equal(create.code, 0, create.stderr);
    const created = JSON.parse(create.stdout) as { grantId: number; validFrom: number; validUntil: number; terms: { validUntil: number } };
    const announced = /until (\S+Z) \(1m\)/.exec(create.stderr)?.[1];
    assert.ok(announced, create.stderr);
    assert.equal(Date.parse(announced) / 1000, created.validUntil, 'the announced end is the end on chain');
    assert.equal(created.terms.validUntil, created.validUntil);
    assert.ok(created.validUntil - 60 >= startedAt, 'the 60 s count from after the command started, not before');
    assert.ok(created.validFrom >= created.validUntil - 60, 'the effective window (from the including block) is at most the 60 s asked');
  } finally {
    await stop(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
