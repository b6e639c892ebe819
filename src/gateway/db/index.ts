/**
 * The gateway's SQL layer: one small interface, SQL written once with `$n` placeholders, SQLite
 * (better-sqlite3) by default. Writes are durable when they return: WAL, synced off the event loop.
 * Transactions are serialized by a queue, so async code between statements cannot interleave.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { SqlExecutor } from '../index/handlers.ts';
import { systemClock, type Clock } from '../clock.ts';

export interface Database extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs DDL or several statements at once (no parameters). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction; commits if it resolves, rolls back if it throws. Nested calls join the outer one. */
  transaction<T>(fn: (tx: SqlExecutor & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `postgres`, when given, replaces `sql` on PostgreSQL (keep such differences minimal). */
export interface Migration { readonly id: string; readonly sql: string; readonly postgres?: string }

function sqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined) return null;
  return v;
}

export async function openSqlite(path: string): Promise<Database> {
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  // Durable on return, without fsync on the event loop: SQLite writes each commit's WAL frames
  // (synchronous=NORMAL: no fsync of its own, still fsyncs around checkpoints), then the write's
  // promise waits for an fdatasync of the WAL file done on a worker thread (syncWal below).
  // A commit is acknowledged only after a sync that started after it, so an acknowledged write
  // survives power loss as with synchronous=FULL; the event loop serves other requests meanwhile,
  // and commits that land while a sync runs share the next one. A later commit can never survive
  // an earlier lost one (WAL frames are checksummed cumulatively; recovery stops at the first bad one).
  // Not offered by better-sqlite3 (synchronous API), hence by hand.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.defaultSafeIntegers(false);

  // Prepared statements by their `$n` text: the gateway runs a few dozen distinct statements, and
  // preparing (parsing and planning) on every call costs more than running a point query.
  const statements = new Map<string, { stmt: BetterSqlite3.Statement; order: number[] }>();
  const STATEMENT_CACHE_MAX = 500;
  const prepared = (sql: string) => {
    let entry = statements.get(sql);
    if (!entry) {
      const order: number[] = [];
      const text = sql.replace(/\$(\d+)/g, (_m, n: string) => { order.push(Number(n) - 1); return '?'; });
      entry = { stmt: raw.prepare(text), order };
      if (statements.size >= STATEMENT_CACHE_MAX) statements.clear();
      statements.set(sql, entry);
    }
    return entry;
  };
  const query = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    const { stmt, order } = prepared(sql);
    const args = order.map((i) => {
      if (i < 0 || i >= params.length) throw new RangeError(`placeholder $${i + 1} has no parameter`);
      return sqliteValue(params[i]);
    });
    if (stmt.reader) return stmt.all(...args) as T[];
    stmt.run(...args);
    return [];
  };
  const exec = async (sql: string) => { raw.exec(sql); };

  const walFile = raw.memory ? undefined : `${raw.name}-wal`;
  // The syncs run on their own thread, not in libuv's pool: a sync takes milliseconds, and in the
  // pool it would hold up the blob store's file reads queued behind it.
  let syncer: WalSyncer | undefined;
  let syncing: Promise<void> | undefined;
  let nextSync: Promise<void> | undefined;
  /** Resolves after an fdatasync of the WAL that started after this call (concurrent callers share it). */
  const syncWal = (): Promise<void> => {
    if (!walFile) return Promise.resolve();
    if (!syncing) {
      syncer ??= walSyncer(walFile); // the WAL exists once written; same file while this connection is open
      syncing = syncer.sync().finally(() => { syncing = undefined; });
      return syncing;
    }
    nextSync ??= syncing.catch(() => undefined).then(() => { nextSync = undefined; return syncWal(); });
    return nextSync;
  };
  const durable = async <T>(result: T): Promise<T> => { await syncWal(); return result; };

  // One connection: a transaction spans awaits, so everything else queues behind it. Code running
  // inside a transaction (tracked across awaits by AsyncLocalStorage) goes straight through.
  let queue: Promise<unknown> = Promise.resolve();
  const inTransaction = new AsyncLocalStorage<true>();
  const executor = { query, exec };
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.catch(() => undefined).then(work);
    queue = result;
    return result;
  };
  return {
    dialect: 'sqlite',
    query: <T>(sql: string, params?: readonly unknown[]) => {
      if (inTransaction.getStore()) return query<T>(sql, params);
      let write: boolean;
      try { write = !prepared(sql).stmt.reader; } catch (error) { return Promise.reject(error); }
      const result = enqueue(() => query<T>(sql, params));
      return write ? result.then(durable) : result;
    },
    exec: (sql: string) => (inTransaction.getStore() ? exec(sql) : enqueue(() => exec(sql)).then(durable)),
    async transaction<T>(fn: (tx: SqlExecutor & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T> {
      if (inTransaction.getStore()) return fn(executor);
      // The sync waits outside the queue: the next transaction may commit while this one syncs.
      return durable(await enqueue(() => inTransaction.run(true, async () => {
        raw.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(executor);
          raw.exec('COMMIT');
          return result;
        } catch (error) {
          if (raw.inTransaction) raw.exec('ROLLBACK');
          throw error;
        }
      })));
    },
    async close() {
      await queue.catch(() => undefined);
      await syncing?.catch(() => undefined);
      await syncer?.close();
      raw.close();
    },
  };
}

interface WalSyncer { sync(): Promise<void>; close(): Promise<void> }

/** A worker thread that fdatasyncs one file on request, one request at a time. */
function walSyncer(file: string): WalSyncer {
  // Plain JS evaluated in the worker: no loader needed, nothing imported but node:fs.
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    let fd;
    parentPort.on('message', (cmd) => {
      try {
        if (cmd === 'close') { if (fd !== undefined) fs.closeSync(fd); fd = undefined; parentPort.postMessage(null); return; }
        if (fd === undefined) fd = fs.openSync(workerData, 'r');
        fs.fdatasyncSync(fd);
        parentPort.postMessage(null);
      } catch (error) { parentPort.postMessage(String(error && error.message || error)); }
    });`, { eval: true, workerData: file });
  worker.unref();
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  worker.on('message', (error: string | null) => {
    const w = waiting.shift();
    if (waiting.length === 0) worker.unref(); // idle: do not keep the process alive
    if (error === null) w?.resolve(); else w?.reject(new Error(`WAL sync failed: ${error}`));
  });
  worker.on('error', (error) => { for (const w of waiting.splice(0)) w.reject(error); });
  const ask = (cmd: string) => new Promise<void>((resolve, reject) => {
    if (waiting.length === 0) worker.ref(); // a write is waiting for its sync
    waiting.push({ resolve, reject });
    worker.postMessage(cmd);
  });
  return {
    sync: () => ask('sync'),
    async close() { await ask('close').catch(() => undefined); await worker.terminate(); },
  };
}

/** Applies each migration once, in order, recording it in schema_migrations (dated by `clock`). */
export async function migrate(db: Database, migrations: readonly Migration[], clock: Clock = systemClock): Promise<string[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
  const applied: string[] = [];
  for (const m of migrations) {
    await db.transaction(async (tx) => {
      const done = await tx.query('SELECT id FROM schema_migrations WHERE id = $1', [m.id]);
      if (done.length > 0) return;
      const sql = db.dialect === 'postgres' && m.postgres !== undefined ? m.postgres : m.sql;
      if (sql.trim() !== '') await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [m.id, clock.seconds()]);
      applied.push(m.id);
    });
  }
  return applied;
}
