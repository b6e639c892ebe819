/**
 * The PostgreSQL adapter against a real PostgreSQL server (started for this file by pgServer.ts):
 * the Database interface's semantics as on SQLite — parameters and types, transactions that commit,
 * roll back, join when nested and never interleave — the gateway's migrations, and bad input;
 * then the gateway itself on PostgreSQL, end to end over HTTP on a real chain, across a restart.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, type Database } from '../../src/gateway/db/index.ts';
import { DatabaseConnectionError, openPostgres, redactDatabaseUrl, TransactionFinishedError } from '../../src/gateway/db/postgres.ts';
import { accessLogMigrations } from '../../src/gateway/audit/accessLog.ts';
import { authMigrations } from '../../src/gateway/auth/siwe.ts';
import { escrowMigrations } from '../../src/gateway/escrow/custodian.ts';
import { envelopeMigrations } from '../../src/gateway/index/envelopes.ts';
import { applyChainEvent } from '../../src/gateway/index/handlers.ts';
import { chainIndexMigrations } from '../../src/gateway/index/schema.ts';
import { verifyInclusion } from '../../src/sdk/auditProof.ts';
import { startGateway } from '../../src/gateway/server.ts';
import { Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { startPgServer, type PgServer } from './pgServer.ts';
import { opaquePurpose } from '../purposes.ts';

const gatewayMigrations = [...chainIndexMigrations, ...envelopeMigrations, ...authMigrations, ...accessLogMigrations, ...escrowMigrations];

let server: PgServer;
let db: Database;
let dbUrl: string;
let databases = 0;
/** A fresh, empty database on the shared server. */
async function freshDatabase(): Promise<string> { return server.createDatabase(`t${++databases}`); }

before(async () => {
  server = await startPgServer();
  dbUrl = await freshDatabase();
  db = await openPostgres(dbUrl);
});
after(async () => {
  await db?.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('postgres adapter: parameters, integer and null types, one statement per query, exec runs several', async () => {
  await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT, note TEXT); CREATE INDEX kv_n ON kv (n);');
  await db.query('INSERT INTO kv (k, n, note) VALUES ($1, $2, $3)', ['a', 42, undefined]);
  await db.query('INSERT INTO kv (k, n, note) VALUES ($1, $2, $3)', ['b', '9007199254740993', 'big']);
  await db.query('INSERT INTO kv (k, n, note) VALUES ($1, $2, $1)', ['c', 7n]);
  const rows = await db.query<{ k: string; n: number | string; note: string | null }>('SELECT k, n, note FROM kv ORDER BY k');
  // BIGINT as JS numbers (as SQLite returns them); beyond 2^53 as exact strings, never rounded.
  assert.deepEqual(rows, [{ k: 'a', n: 42, note: null }, { k: 'b', n: '9007199254740993', note: 'big' }, { k: 'c', n: 7, note: 'c' }]);
  const [agg] = await db.query<{ count: number; max: number; sum: number }>('SELECT COUNT(*) AS count, MAX(n) AS max, SUM(n) FILTER (WHERE n < 100) AS sum FROM kv');
  assert.deepEqual(agg, { count: 3, max: '9007199254740993', sum: 49 });
  assert.deepEqual(await db.query('UPDATE kv SET n = n + 1 WHERE k = $1', ['a']), [], 'statements without RETURNING give no rows');
  assert.deepEqual(await db.query('DELETE FROM kv WHERE k = $1 RETURNING k', ['c']), [{ k: 'c' }]);
  await assert.rejects(db.query('SELECT 1; SELECT 2'), /cannot insert multiple commands/);
  await assert.rejects(db.query('SELECT * FROM kv WHERE k = $1 AND n = $2', ['a']), /bind message supplies 1 parameters/);
  await assert.rejects(db.query('SELEC 1'), /syntax error/);
  await assert.rejects(db.query('INSERT INTO kv (k, n) VALUES ($1, $2)', ['a', 1]), /duplicate key value violates unique constraint/);
});

test('postgres adapter: a transaction commits, or rolls back everything when it throws', async () => {
  await db.exec('CREATE TABLE tx_rows (id BIGINT PRIMARY KEY)');
  const result = await db.transaction(async (tx) => {
    await tx.query('INSERT INTO tx_rows (id) VALUES ($1)', [1]);
    await tx.exec('INSERT INTO tx_rows (id) VALUES (2); INSERT INTO tx_rows (id) VALUES (3)');
    return 'done';
  });
  assert.equal(result, 'done');
  await assert.rejects(db.transaction(async (tx) => {
    await tx.query('INSERT INTO tx_rows (id) VALUES ($1)', [4]);
    await sleep(5);
    throw new Error('boom');
  }), /boom/);
  // A failing statement aborts the transaction; its error reaches the caller and nothing stays.
  await assert.rejects(db.transaction(async (tx) => {
    await tx.query('INSERT INTO tx_rows (id) VALUES ($1)', [5]);
    await tx.query('INSERT INTO tx_rows (id) VALUES ($1)', [1]);
  }), /duplicate key/);
  assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM tx_rows ORDER BY id')).map((r) => r.id), [1, 2, 3]);
  // The pool is healthy afterwards (connections went back clean).
  assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM tx_rows'), [{ n: 3 }]);
});

test('postgres adapter: nested transactions and db.query inside one join it, across awaits', async () => {
  await db.exec('CREATE TABLE nest (id BIGINT PRIMARY KEY)');
  const pid = async (q: { query: Database['query'] }) => (await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
  await db.transaction(async (tx) => {
    const own = await pid(tx);
    await tx.query('INSERT INTO nest (id) VALUES (1)');
    await sleep(1);
    assert.equal(await pid(db), own, 'db.query inside the callback runs on the transaction');
    assert.deepEqual(await db.query('SELECT id FROM nest'), [{ id: 1 }], 'and sees its uncommitted rows');
    await db.transaction(async (inner) => {
      assert.equal(await pid(inner), own, 'a nested transaction joins the outer one');
      await inner.query('INSERT INTO nest (id) VALUES (2)');
    });
  });
  assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM nest ORDER BY id')).map((r) => r.id), [1, 2]);

  // A nested failure that the outer callback lets through rolls back the whole transaction.
  await assert.rejects(db.transaction(async () => {
    await db.query('INSERT INTO nest (id) VALUES (3)');
    await db.transaction(async (inner) => { await inner.query('INSERT INTO nest (id) VALUES (4)'); throw new Error('inner failed'); });
  }), /inner failed/);
  assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM nest ORDER BY id')).map((r) => r.id), [1, 2]);

  // A query issued after the transaction finished (an escaped promise) is refused, never run on a reused connection.
  let escaped: { query: Database['query'] } | undefined;
  await db.transaction(async (tx) => { escaped = tx; });
  await assert.rejects(escaped!.query('SELECT 1'), TransactionFinishedError);
});

test('postgres adapter: uncommitted rows are invisible outside; concurrent read-then-write transactions do not lose updates', async () => {
  await db.exec('CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO counter VALUES (1, 0)');
  const other = await openPostgres(dbUrl);
  try {
    // Isolation: while a transaction holds an uncommitted write, another connection reads the old value.
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let inside!: () => void;
    const entered = new Promise<void>((r) => { inside = r; });
    const writer = db.transaction(async (tx) => {
      await tx.query('UPDATE counter SET n = 100 WHERE id = 1');
      inside();
      await held;
    });
    await entered;
    assert.deepEqual(await other.query('SELECT n FROM counter WHERE id = 1'), [{ n: 0 }]);
    release();
    await writer;
    assert.deepEqual(await other.query('SELECT n FROM counter WHERE id = 1'), [{ n: 100 }]);
    await db.query('UPDATE counter SET n = 0 WHERE id = 1');

    // 40 read-modify-write transactions from two pools (as two gateway processes would be), with
    // awaits between the read and the write: serialized, so no increment is lost.
    const increment = (on: Database) => on.transaction(async (tx) => {
      const [row] = await tx.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
      await sleep(1);
      await tx.query('UPDATE counter SET n = $1 WHERE id = 1', [row!.n + 1]);
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => increment(i % 2 ? db : other)));
    assert.deepEqual(await db.query('SELECT n FROM counter WHERE id = 1'), [{ n: 40 }]);
  } finally {
    await other.close();
  }
});

test('postgres adapter: the gateway migrations apply once and are idempotent; uint64 windows fit', async () => {
  const fresh = await openPostgres(await freshDatabase());
  try {
    const first = await migrate(fresh, gatewayMigrations);
    assert.deepEqual(first, gatewayMigrations.map((m) => m.id));
    assert.deepEqual(await migrate(fresh, gatewayMigrations), [], 'a second run applies nothing');
    const [{ n }] = await fresh.query<{ n: number }>('SELECT COUNT(*) AS n FROM schema_migrations') as [{ n: number }];
    assert.equal(n, gatewayMigrations.length);

    // A grant "until forever" (2^64 - 1): indexed on PostgreSQL too (BIGINT would overflow), read back exactly.
    const forever = 2n ** 64n - 1n;
    const grant = (grantId: bigint, validUntil: bigint) => applyChainEvent(fresh, {
      eventName: 'GrantCreated', address: '0x0000000000000000000000000000000000000001', blockNumber: 5n, logIndex: Number(grantId),
      transactionHash: `0x${'ab'.repeat(32)}`,
      args: {
        grantId, patient: '0x00000000000000000000000000000000000000AA', grantee: '0x00000000000000000000000000000000000000BB', scopeKind: 0,
        scopeValue: `0x${'00'.repeat(32)}`, permissions: 1, purpose: `0x${'00'.repeat(32)}`, validFrom: 1_700_000_000n, validUntil, requestId: 0n,
      },
    }, 'consent');
    await grant(1n, forever);
    await grant(2n, 1_800_000_000n);
    const rows = await fresh.query<{ grant_id: number; valid_from: number; valid_until: number | string }>('SELECT grant_id, valid_from, valid_until FROM grants ORDER BY grant_id');
    assert.deepEqual(rows, [
      { grant_id: 1, valid_from: 1_700_000_000, valid_until: forever.toString() },
      { grant_id: 2, valid_from: 1_700_000_000, valid_until: 1_800_000_000 },
    ]);
    assert.equal((await fresh.query('SELECT grant_id FROM grants WHERE valid_until > $1 ORDER BY grant_id', [1_900_000_000])).length, 1);
  } finally {
    await fresh.close();
  }

  // Three gateways starting at once on a fresh database: every migration applied exactly once, no error.
  const url = await freshDatabase();
  const pools = await Promise.all([1, 2, 3].map(() => openPostgres(url)));
  try {
    const applied = await Promise.all(pools.map((p) => migrate(p, gatewayMigrations)));
    assert.deepEqual(applied.flat().sort(), gatewayMigrations.map((m) => m.id).sort());
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
});

test('postgres adapter: bad URLs and unreachable servers get clear errors that never show the password', async () => {
  await assert.rejects(openPostgres(''), { name: 'TypeError', message: /databaseUrl is empty/ });
  await assert.rejects(openPostgres('not a url'), { name: 'TypeError', message: /not a valid URL/ });
  await assert.rejects(openPostgres('mysql://u:p@127.0.0.1/db'), { name: 'TypeError', message: /must start with postgres:\/\/ or postgresql:\/\// });

  const wrong = server.url().replace(/:([0-9a-f]{24})@/, ':not-the-password-s3cret@');
  await assert.rejects(openPostgres(wrong), (error: Error) => {
    assert.ok(error instanceof DatabaseConnectionError);
    assert.match(error.message, /password authentication failed/);
    assert.doesNotMatch(error.message, /s3cret/);
    assert.match(error.message, /medchain:\*\*\*@127\.0\.0\.1/);
    return true;
  });
  const closedPort = `postgres://medchain:s3cret@127.0.0.1:1/postgres`;
  await assert.rejects(openPostgres(closedPort), (error: Error) => error instanceof DatabaseConnectionError && /ECONNREFUSED/.test(error.message) && !/s3cret/.test(error.message));
  assert.equal(redactDatabaseUrl('postgresql://u:pw@h:5432/d?sslmode=require&password=x'), 'postgresql://u:***@h:5432/d?sslmode=require&password=***');
});

test('gateway on PostgreSQL: indexing, an allowed and a denied read, the access log anchored, resume after restart', async () => {
  const databaseUrl = await freshDatabase();
  const h = await gatewayHarness({ databaseUrl });
  // A second connection to the same database: what the gateway stored is in PostgreSQL.
  const look = await openPostgres(databaseUrl);
  try {
    const { f } = h;
    assert.equal(h.gateway.db.dialect, 'postgres');
    assert.ok(!existsSync(join(h.dataDir, 'gateway.sqlite')), 'no SQLite file beside it');

    // A record, and a grant "until forever" (uint64 max) to the doctor; the lab has none.
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'blood pressure' } });
    const forever = 2n ** 64n - 1n;
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: forever,
    }]));
    await h.waitIndexed();
    assert.deepEqual(await look.query('SELECT record_id, patient, latest_version FROM records'), [
      { record_id: record.recordId.toLowerCase(), patient: f.addr.patient.toLowerCase(), latest_version: 1 },
    ]);
    assert.deepEqual(await look.query('SELECT grant_id, grantee, valid_until FROM grants'), [{ grant_id: 1, grantee: f.addr.doctor.toLowerCase(), valid_until: forever.toString() }]);
    const grants = await (await h.client('patient')).grants({ patient: f.addr.patient });
    assert.deepEqual(grants.active.map((g) => g.grantId), [1]);

    // Over HTTP: the doctor reads under the grant, the lab is refused.
    const doctor = await h.client('doctor');
    const detail = await doctor.getRecord(record.recordId);
    assert.equal(detail.access.basis, 'grant');
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${record.recordId}/versions/1/ciphertext`, { token: doctor.sessionToken! })).status, 200);
    const lab = (await h.client('lab')).sessionToken!;
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${record.recordId}`, { token: lab })).status, 403);

    // Both decisions are in the access log; its period is anchored and every proof checks against the chain.
    const patient = await h.client('patient');
    const { entries } = await patient.audit({ patient: f.addr.patient, limit: 1000 });
    assert.ok(entries.some((e) => e.actor === f.addr.doctor.toLowerCase() && e.outcome === 'allowed'));
    assert.ok(entries.some((e) => e.actor === f.addr.lab.toLowerCase() && e.outcome === 'denied' && e.reason === 'no-grant'));
    const period = await h.gateway.accessLog.closePeriod();
    assert.ok(period && period.count === entries.length);
    assert.equal(await h.gateway.accessLog.anchorPending(), 1);
    for (const entry of entries) {
      const proof = await patient.auditProof(entry.seq);
      const anchor = await f.read.accessLogAnchor.read.getAnchor([proof.gateway, BigInt(proof.periodId)]);
      assert.ok(verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount }), `entry ${entry.seq} is in the anchored root`);
    }
    const [{ n: stored }] = await look.query<{ n: number }>('SELECT COUNT(*) AS n FROM access_log') as [{ n: number }];
    assert.equal(stored, entries.length);

    // Restart on the same database: the indexer resumes at its cursor instead of replaying from the
    // deploy block. A replay would rewrite the providers rows (their status updates are not
    // no-ops), which PostgreSQL would show as new row versions (xmin).
    await h.waitIndexed();
    const eventsBefore = (await look.query<{ n: number }>('SELECT COUNT(*) AS n FROM chain_events'))[0]!.n;
    const providerVersions = await look.query('SELECT address, xmin::text AS xmin FROM providers ORDER BY address');
    const position = await h.gateway.indexer.position();
    await h.restart();
    assert.equal(h.gateway.db.dialect, 'postgres');
    assert.equal(await h.gateway.indexer.position(), position);
    assert.deepEqual(await look.query('SELECT address, xmin::text AS xmin FROM providers ORDER BY address'), providerVersions, 'nothing was replayed');

    // New events after the restart are indexed once; the log continues its sequence.
    await f.mined(f.as('patient').consent.write.revoke([1n]));
    await h.waitIndexed();
    const eventsAfter = (await look.query<{ n: number }>('SELECT COUNT(*) AS n FROM chain_events'))[0]!.n;
    const revokeLogs = (await look.query<{ name: string }>('SELECT name FROM chain_events WHERE block_number > $1 ORDER BY log_index', [Number(position) - 1]));
    assert.ok(revokeLogs.some((e) => e.name === 'GrantRevoked'));
    assert.equal(eventsAfter, eventsBefore + revokeLogs.length, 'only the new events were added');
    const medchain = [f.addresses.identity, f.addresses.consent, f.addresses.recordRegistry, f.addresses.incentives, f.addresses.accessLogAnchor];
    const onChain = await f.publicClient.getLogs({ address: medchain, fromBlock: 0n, toBlock: await f.publicClient.getBlockNumber({ cacheTime: 0 }) });
    assert.equal(eventsAfter, onChain.length, 'every MedChain event on chain is indexed exactly once');
    assert.deepEqual(await look.query('SELECT revoked_block IS NOT NULL AS revoked FROM grants WHERE grant_id = 1'), [{ revoked: true }]);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${record.recordId}`, { token: (await h.client('doctor')).sessionToken! })).status, 403);
    const after = await (await h.client('patient')).audit({ patient: f.addr.patient, limit: 1000 });
    assert.deepEqual(after.entries.map((e) => e.seq), after.entries.map((_, i) => i + 1), 'one unbroken sequence across the restart');
    assert.ok(after.entries.length > entries.length);

    // A gateway pointed at a wrong password fails to start with a clear error, without the password.
    await assert.rejects(startGateway({
      dataDir: h.dataDir, databaseUrl: databaseUrl.replace(/:([0-9a-f]{24})@/, ':wrong-s3cret@'), port: 0, provider: f.provider, chainId: 31337,
      addresses: f.addresses, operatorKey: f.keys.admin,
    }), (error: Error) => error instanceof DatabaseConnectionError && /password authentication failed/.test(error.message) && !/s3cret/.test(error.message));
  } finally {
    await look.close();
    await h.close();
  }
});
