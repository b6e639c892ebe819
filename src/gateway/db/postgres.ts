/**
 * The gateway's SQL layer on PostgreSQL (node-postgres), behind the same `Database` interface as
 * SQLite and with the same semantics, so every caller runs unchanged:
 * - SQL is written once with `$n` placeholders (PostgreSQL's own), one statement per `query`.
 * - Integers come back as JS numbers, as from SQLite: BIGINT and integral NUMERIC values are
 *   parsed to numbers when they are safe integers, and left as exact decimal strings when they are
 *   not (callers already read these columns as `number | string`).
 * - Transactions are serialized, like SQLite's single writer: in this process by a queue, and
 *   across processes sharing the database by a transaction-scoped advisory lock, so read-then-write
 *   code (next sequence number, indexer cursor) cannot interleave. Code running inside a
 *   transaction (tracked across awaits by AsyncLocalStorage) uses that transaction's connection;
 *   nested calls join the outer transaction.
 * - Durability: a commit returns once PostgreSQL has flushed it (synchronous_commit left at its
 *   default, on).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { SqlExecutor } from '../index/handlers.ts';
import type { Database } from './index.ts';

type Executor = SqlExecutor & { exec(sql: string): Promise<void> };

/** The database could not be reached or refused the connection (the message never holds the password). */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
  constructor(readonly target: string, cause: unknown) {
    super(`cannot connect to PostgreSQL at ${target}: ${cause instanceof Error ? cause.message : String(cause)}. Check databaseUrl, that the server is running and that the user may log in.`, { cause });
  }
}

/** A transaction's queries after it committed or rolled back (a promise escaped `fn`). */
export class TransactionFinishedError extends Error {
  override readonly name = 'TransactionFinishedError';
  constructor() { super('query on a transaction that has already finished: await every query inside the transaction callback'); }
}

/** One key for every MedChain gateway writing to this database (pg_advisory_xact_lock takes a bigint). */
const WRITE_LOCK = 0x4d65_6443; // "MedC"

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function integerOrText(text: string): number | string {
  if (!/^-?\d+(\.0*)?$/.test(text)) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** Per-pool type parsers (the process-wide `pg.types` stays untouched). */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary') return integerOrText;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** The URL with its password masked, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function checkUrl(url: string): void {
  if (typeof url !== 'string' || url.trim() === '') throw new TypeError('databaseUrl is empty: expected postgres://user:password@host:port/database');
  let parsed: URL;
  try { parsed = new URL(url); } catch {
    // The URL itself is not repeated: it may hold a password.
    throw new TypeError('databaseUrl is not a valid URL: expected postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new TypeError(`databaseUrl must start with postgres:// or postgresql:// (got ${parsed.protocol}//)`);
  }
}

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection, in ms (default 30 000). */
  connectTimeoutMs?: number;
}

/** Opens a pool on `url` and checks that the server answers. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  checkUrl(url);
  const target = redactDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url, types, max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000, application_name: 'medchain-gateway',
  });
  // An idle connection dropped by the server (restart, network) is discarded by the pool; the
  // next query opens a new one or reports the error to its caller. Without a listener it would
  // crash the process.
  pool.on('error', () => undefined);
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseConnectionError(target, error);
  }

  const run = async <T>(on: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    // Extended protocol always: one statement per query, as better-sqlite3's prepare enforces.
    const config = { text: sql, values: params.map((v) => (v === undefined ? null : v)), queryMode: 'extended' } as pg.QueryConfig;
    const result = await on.query(config);
    return result.rows as T[];
  };

  const inTransaction = new AsyncLocalStorage<Executor>();
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.catch(() => undefined).then(work);
    queue = result;
    return result;
  };

  const transaction = async <T>(fn: (tx: Executor) => Promise<T>): Promise<T> => {
    const outer = inTransaction.getStore();
    if (outer) return fn(outer);
    return enqueue(async () => {
      const client = await pool.connect().catch((error: unknown) => { throw new DatabaseConnectionError(target, error); });
      let open = true;
      const guard = () => { if (!open) throw new TransactionFinishedError(); };
      const executor: Executor = {
        query: async <R>(sql: string, params?: unknown[]) => { guard(); return run<R>(client, sql, params); },
        exec: async (sql: string) => { guard(); await client.query(sql); },
      };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
        const result = await inTransaction.run(executor, () => fn(executor));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
        throw error;
      } finally {
        open = false;
        // A connection that could not roll back is closed rather than returned to the pool.
        client.release(broken);
      }
    });
  };

  return {
    dialect: 'postgres',
    query: <T>(sql: string, params?: readonly unknown[]) => {
      const tx = inTransaction.getStore();
      return tx ? tx.query<T>(sql, params as unknown[]) : run<T>(pool, sql, params);
    },
    // DDL runs under the write lock too: gateways starting together on a fresh database would
    // otherwise race on `CREATE TABLE IF NOT EXISTS` (PostgreSQL's catalog is not idempotent under
    // concurrency) — with it, the second one finds the tables there.
    exec: (sql: string) => transaction((tx) => tx.exec(sql)),
    transaction,
    async close() {
      await queue.catch(() => undefined);
      await pool.end();
    },
  };
}
