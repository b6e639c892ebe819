import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from './index.ts';

test('SQLite adapter: placeholders, cached statements across schema changes, transactions, durable writes after reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-sqlite-'));
  try {
    const file = join(dir, 'db.sqlite');
    let db = await openSqlite(file);
    await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)');
    await db.query('INSERT INTO t (k, v) VALUES ($1, $2)', ['a', 1]);
    // $1 used twice, parameters out of order.
    assert.deepEqual(await db.query('SELECT k, v FROM t WHERE k = $2 AND v = $1 AND k = $2', [1, 'a']), [{ k: 'a', v: 1 }]);
    await assert.rejects(db.query('SELECT k FROM t WHERE k = $2', ['a']), /placeholder \$2 has no parameter/);
    await assert.rejects(db.query('SELEKT nonsense'), /syntax error/);

    // A cached SELECT * sees a column added after it was first prepared.
    await db.exec('ALTER TABLE t ADD COLUMN note TEXT');
    assert.deepEqual(await db.query('SELECT k, v FROM t WHERE k = $2 AND v = $1 AND k = $2', [1, 'a']), [{ k: 'a', v: 1 }]);
    assert.deepEqual(Object.keys((await db.query<Record<string, unknown>>('SELECT * FROM t'))[0]!), ['k', 'v', 'note']);

    // Rollback leaves nothing; nested transactions join the outer one.
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (k, v) VALUES ($1, $2)', ['b', 2]);
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal((await db.query('SELECT k FROM t WHERE k = $1', ['b'])).length, 0);
    await db.transaction(async () => {
      await db.transaction(async (tx) => { await tx.query('INSERT INTO t (k, v) VALUES ($1, $2)', ['c', 3]); });
      await db.query('INSERT INTO t (k, v) VALUES ($1, $2)', ['d', 4]);
    });

    // Many concurrent writers, each acknowledged after its WAL sync; all there after a reopen.
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2
      ? db.query('INSERT INTO t (k, v) VALUES ($1, $2)', [`q${i}`, i])
      : db.transaction(async (tx) => { await tx.query('INSERT INTO t (k, v) VALUES ($1, $2)', [`q${i}`, i]); }))));
    await db.close();
    db = await openSqlite(file);
    assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM t'), [{ n: 203 }]);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
