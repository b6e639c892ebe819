/**
 * Crash-consistency soak: many kill -9 rounds of the embedded node under load (see
 * test/chain/crashHarness.ts for what is checked after every restart).
 *   npx tsx bench/chain-crash.ts [rounds=20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report } from './lib/report.ts';
import { crashRounds } from '../test/chain/crashHarness.ts';

const rounds = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'medchain-crash-soak-'));
const started = Date.now();
try {
  const r = await crashRounds(dir, rounds, console.log);
  report('chain-crash', 'Embedded node: kill -9 soak (acknowledged receipts re-checked after every restart)', [
    { rounds: r.rounds, acknowledged_txs: r.acknowledged, receipt_checks: r.checks, final_head: Number(r.head), lost: 0, seconds: Math.round((Date.now() - started) / 1000) },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
