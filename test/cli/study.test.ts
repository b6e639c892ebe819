/**
 * `medchain study …` as a user runs it (child processes, bin/medchain.js) against a real gateway
 * over HTTP on a real chain: a research provider registers a study from a file, an admin approves
 * it, five patients opt in (signed, relayed, keys shared) and one opts out again, the researcher runs
 * the declared mean, an undeclared computation is refused with exit code and message, participants
 * read the results.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes, type Hex } from 'viem';
import { ProviderKind } from '../../src/sdk/contracts.ts';
import { newBundle, writeKeyBundle } from '../../src/cli/keyFile.ts';
import { generateEncryptionKeyPair } from '../../src/crypto/index.ts';
import { gatewayHarness, type Harness } from '../gateway/harness.ts';
import { hospitalPatient, type HospitalPatient } from '../research/hospitalPatients.ts';
import { cli, ok, PASSPHRASE } from './cliHarness.ts';

let h: Harness;
let dir: string;
let patients: HospitalPatient[];
const keyFile = (name: string) => join(dir, `${name}.json`);

before(async () => {
  h = await gatewayHarness({ research: { computeKeys: [generateEncryptionKeyPair()] } });
  dir = mkdtempSync(join(tmpdir(), 'medchain-cli-study-'));
  await h.f.accredit('applicant', ProviderKind.Research);
  for (const actor of ['applicant', 'admin'] as const) writeKeyBundle(keyFile(actor), await newBundle(hexToBytes(h.f.keys[actor]), PASSPHRASE, 1024));
  patients = [];
  for (let i = 0; i < 6; i++) {
    const p = await hospitalPatient(h, [[5 + i, '2026-03-01']]);
    writeKeyBundle(keyFile(`p${i}`), await newBundle(hexToBytes(p.privateKey as Hex), PASSPHRASE, 1024, p.encryption.privateKey));
    patients.push(p);
  }
  writeFileSync(join(dir, 'study.json'), JSON.stringify({
    title: 'HbA1c in six patients', summary: 'A small study of long-term blood sugar; only a noised mean leaves.', protocol: 'v1',
    resourceTypes: ['Observation'], codes: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }],
    computations: [{ kind: 'Mean', code: '4548-4', lower: 4, upper: 14 }], minCohort: 5, epsilonBudget: 3, endTime: '2099-01-01T00:00:00Z',
  }));
});

after(async () => { await h?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

test('study register, approve, opt-in, opt-out, run, refusal, results, show', async () => {
  const as = (name: string, ...args: string[]) => [...args, '--gateway', h.gateway.url, '--key', keyFile(name), '--data-dir', dir, '--json'];
  const registered = await ok<{ studyId: number }>(as('applicant', 'study', 'register', join(dir, 'study.json')));
  const id = String(registered.studyId);
  assert.equal((await ok<{ approved: boolean }>(as('admin', 'study', 'approve', id))).approved, true);
  for (let i = 0; i < 6; i++) assert.equal((await ok<{ sharedVersions: number }>(as(`p${i}`, 'study', 'opt-in', id))).sharedVersions, 1);
  assert.equal((await ok<{ sharedVersions: number }>(as('p5', 'study', 'opt-out', id))).sharedVersions, 0);

  const run = await ok<{ cohortSize: number; result: { mean: number } }>(as('applicant', 'study', 'run', id, '0', '--epsilon', '1'));
  assert.equal(run.cohortSize, 5);
  assert.equal(typeof run.result.mean, 'number');
  const refused = await cli(as('applicant', 'study', 'run', id, '3', '--epsilon', '1'));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not declared by study/);
  const usage = await cli(as('applicant', 'study', 'run', id, '0'));
  assert.equal(usage.code, 2);

  const results = await ok<Array<{ runId: number; cohortSize: number }>>(as('p0', 'study', 'results', id));
  assert.deepEqual(results.map((r) => [r.runId, r.cohortSize]), [[1, 5]]);
  const shown = await ok<{ title: string; budget: { spent: number }; participants: number }>(as('p0', 'study', 'show', id));
  assert.deepEqual([shown.title, shown.budget.spent, shown.participants], ['HbA1c in six patients', 1, 5]);
  const human = await cli(['study', 'show', id, '--gateway', h.gateway.url, '--key', keyFile('p0'), '--data-dir', dir]);
  assert.match(human.stdout, /privacy budget: ε 1 of 3 spent/);
  assert.ok(patients.length === 6);
});
