/**
 * `medchain start --demo --demo-patients 5`: the demo hospital has grants in every state (live,
 * expiring soon, expired, revoked, upcoming), a pending access request and a break-glass opening,
 * readable with the printed demo logins, and an approved study with participants and released runs;
 * a second `start --demo` does not seed again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, startMedchain, stop } from './cliHarness.ts';

interface Grant { grantId: number; patient: string; validUntil: number }
interface Grants { now: number; active: Grant[]; upcoming: Grant[]; expired: Grant[]; revoked: Grant[] }

test('start --demo seeds grants in every state once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-demo-'));
  const args = ['--data-dir', dataDir, '--port', '0', '--rpc-port', '0'];
  let running = await startMedchain([...args, '--demo', '--demo-patients', '5']);
  try {
    const err = running.stderr();
    assert.match(err, /Demo logins .*passphrase "medchain demo"/);
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    assert.equal(demo.patients, 5);
    assert.ok(demo.records >= 5 * 4, 'a Patient resource and at least three clinical records each');
    const login = (who: string) => demo.logins.find((l: { who: string }) => l.who.startsWith(who)).file as string;
    const as = (who: string, ...command: string[]) => ok<never>([...command, '--key', login(who), '--gateway', running.url, '--json'], { MEDCHAIN_PASSPHRASE: 'medchain demo' });
    const [doctor, lab, hospital, requests] = await Promise.all([
      as('doctor', 'grant', 'list') as Promise<Grants>, as('lab', 'grant', 'list') as Promise<Grants>,
      as('hospital', 'grant', 'list') as Promise<Grants>, as('hospital', 'request', 'list') as Promise<Array<{ status: string }>>,
    ]);
    assert.equal(doctor.active.length, 5, 'live: every patient\'s doctor');
    assert.equal(lab.active.length, 1);
    assert.ok(lab.active[0]!.validUntil - lab.now <= 600, 'expiring soon: within ten minutes');
    assert.equal(lab.expired.length, 1);
    assert.equal(hospital.revoked.length, 1);
    assert.equal(hospital.upcoming.length, 1);
    assert.deepEqual(requests.map((r) => r.status), ['pending']);

    // The break-glass opening lets the hospital open a record through the escrow release.
    const patient = demo.breakGlass.patient as string;
    const list = await as('hospital', 'record', 'list', '--patient', patient) as { records: Array<{ recordId: string; access: { basis: string } }> };
    assert.ok(list.records.length >= 4 && list.records.every((r) => r.access.basis === 'break-glass'));
    const opened = await as('hospital', 'record', 'get', list.records[0]!.recordId) as { viaEscrow: boolean; integrityVerified: boolean };
    assert.deepEqual([opened.viaEscrow, opened.integrityVerified], [true, true]);

    // The research screens are populated: one approved study the five patients with logins joined, with a mean and a histogram released.
    assert.deepEqual(demo.study, { studyId: 1, participants: 5, runs: 2 });
    const shown = await as('researcher', 'study', 'show', '1') as { status: string; participants: number; runList: Array<{ kind: string; cohortSize: number; result?: unknown }> };
    assert.deepEqual([shown.status, shown.participants, shown.runList.map((r) => r.kind)], ['approved', 5, ['Mean', 'Histogram']]);
    assert.ok(shown.runList.every((r) => r.result !== undefined && r.cohortSize === 5));
    const results = await as('patient-2', 'study', 'results', '1') as unknown[];
    assert.equal(results.length, 2);

    // Idempotent: a second start --demo finds the demo seeded and adds nothing.
    assert.equal(await stop(running.child), 0);
    running = await startMedchain([...args, '--demo', '--demo-patients', '5']);
    assert.match(running.stderr(), /already seeded/);
    const doctorAgain = await as('doctor', 'grant', 'list') as Grants;
    assert.equal(doctorAgain.active.length, 5);
  } finally {
    await stop(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
