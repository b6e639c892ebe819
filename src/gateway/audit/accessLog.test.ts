import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { migrate, openSqlite } from '../db/index.ts';
import { accessLogMigrations, createAccessLog } from './accessLog.ts';
import { clockAtSeconds } from '../clock.ts';
import { canonicalEntry, leafHash, rootOf, verifyInclusion } from '../../sdk/auditProof.ts';

const actor: Address = `0x${'aa'.repeat(20)}`;
const patient: Address = `0x${'bb'.repeat(20)}`;
const entry = (i: number) => ({ actor, patient, recordId: `0x${i.toString(16).padStart(64, '0')}` as Hex, action: 'read', purpose: 'treatment', outcome: 'allowed' as const, reason: `n${i}` });

async function openLog(dir: string, fail?: () => boolean) {
  const db = await openSqlite(join(dir, 'log.sqlite'));
  await migrate(db, [...accessLogMigrations]);
  const log = createAccessLog({
    db, clock: clockAtSeconds(() => 1_700_000_000),
    transaction: (fn) => db.transaction(async (tx) => {
      const result = await fn(tx);
      if (fail?.()) throw new Error('disk full (injected)');
      return result;
    }),
  });
  return { db, log };
}

test('group commit: concurrent appends share transactions, keep call order, and are durable once acknowledged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-accesslog-'));
  try {
    const { db, log } = await openLog(dir);
    const first = await log.append(entry(0));
    assert.equal(first.seq, 1);
    const acknowledged = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i + 1))));
    assert.deepEqual(acknowledged.map((e) => e.seq), Array.from({ length: 300 }, (_, i) => i + 2), 'seqs follow the order of the calls');
    assert.deepEqual(acknowledged.map((e) => e.reason), Array.from({ length: 300 }, (_, i) => `n${i + 1}`));
    const stats = log.groupCommitStats();
    assert.equal(stats.entries, 301);
    assert.ok(stats.commits < 301 && stats.largestGroup > 1, `grouped: ${JSON.stringify(stats)}`);

    // Appends arriving while a group commits go into the next group; nothing is lost or reordered.
    const waves = await Promise.all([0, 1, 2].map(async (w) => {
      await new Promise((ok) => setImmediate(ok));
      return Promise.all(Array.from({ length: 20 }, (_, i) => log.append(entry(1000 + w * 20 + i))));
    }));
    const seqs = waves.flat().map((e) => e.seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => 302 + i));
    await db.close();

    // A fresh connection (as after a crash and restart) sees every acknowledged entry.
    const reopened = await openLog(dir);
    const rows = await reopened.db.query<{ seq: number; leaf: string; reason: string }>('SELECT seq, leaf, reason FROM access_log ORDER BY seq');
    assert.equal(rows.length, 361);
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 361 }, (_, i) => i + 1));
    // Leaves, period roots and inclusion proofs are those of the entries one by one (RFC 6962, unchanged).
    const expected = [first, ...acknowledged].map((e) => leafHash(canonicalEntry(e)));
    assert.deepEqual(rows.slice(0, 301).map((r) => r.leaf), expected.map((l) => bytesToHex(l)));
    const period = await reopened.log.closePeriod();
    assert.equal(period?.count, 361);
    const all = rows.map((r) => Uint8Array.from(Buffer.from(r.leaf, 'hex')));
    assert.equal(period?.root, `0x${bytesToHex(rootOf(all))}`);
    const proof = await reopened.log.prove(150);
    assert.ok(proof && verifyInclusion(proof));
    await reopened.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('group commit: a failed commit fails every append in its group and logs none of them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-accesslog-'));
  try {
    let failing = true;
    const { db, log } = await openLog(dir, () => failing);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => log.append(entry(i))));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal((await db.query('SELECT seq FROM access_log')).length, 0);
    failing = false;
    const later = await Promise.all(Array.from({ length: 5 }, (_, i) => log.append(entry(i))));
    assert.deepEqual(later.map((e) => e.seq), [1, 2, 3, 4, 5]);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
