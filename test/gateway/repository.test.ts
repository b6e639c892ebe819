/**
 * The gateway repository's SQL (src/gateway/repository/) on both databases the gateway runs on:
 * one behaviour suite, run on SQLite and on a real PostgreSQL server (pgServer.ts), over rows as
 * the indexer writes them — so a query that only one of them accepts, or that they answer
 * differently, fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, Hex } from 'viem';
import { migrate, openSqlite, type Database } from '../../src/gateway/db/index.ts';
import { openPostgres } from '../../src/gateway/db/postgres.ts';
import { directoryMigrations } from '../../src/gateway/directory/schema.ts';
import { envelopeMigrations } from '../../src/gateway/index/envelopes.ts';
import { chainIndexMigrations } from '../../src/gateway/index/schema.ts';
import { grantRepository } from '../../src/gateway/repository/grants.ts';
import { recordRepository } from '../../src/gateway/repository/records.ts';
import { recordTokenRepository } from '../../src/gateway/repository/recordTokens.ts';
import { startPgServer, type PgServer } from './pgServer.ts';

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address;
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const A = addr(0xa), B = addr(0xb), P = addr(0x1), Q = addr(0x2);
const c1 = id(0xc1), c2 = id(0xc2);
const [r1, r2, r3, r4] = [id(1), id(2), id(3), id(4)];
const [t1, t2] = [id(0xf1), id(0xf2)];

async function seed(db: Database) {
  await migrate(db, [...chainIndexMigrations, ...envelopeMigrations, ...directoryMigrations]);
  const records: Array<[Hex, Address, Hex, number, number, number | null]> = [
    [r1, A, c1, 2, 1, null], [r2, A, c2, 1, 2, 5], [r3, A, c1, 1, 3, null], [r4, B, c1, 1, 4, null],
  ];
  for (const [recordId, patient, category, latest, created, erased] of records) {
    await db.query('INSERT INTO records (record_id, patient, category, latest_version, created_block, erased_block) VALUES ($1, $2, $3, $4, $5, $6)', [recordId, patient, category, latest, created, erased]);
  }
  for (const [version, tx] of [[1, t1], [2, t2]] as const) {
    await db.query('INSERT INTO record_versions (record_id, version, author, content_id, integrity_hash, block_number, tx_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)', [r1, version, P, '0x01', id(0), version, tx]);
  }
  // grant id, patient, grantee, permissions, valid from / until, revoked at
  const grants: Array<[number, Address, Address, number, number, number, number | null]> = [
    [1, A, P, 1, 100, 200, null], [2, A, P, 3, 0, 50, null], [3, A, Q, 1, 100, 200, 7], [4, B, P, 1, 300, 400, null],
  ];
  for (const [grantId, patient, grantee, permissions, from, until, revoked] of grants) {
    await db.query(`INSERT INTO grants (grant_id, patient, grantee, scope_kind, scope_value, permissions, purpose, valid_from, valid_until, request_id, revoked_block, created_block)
      VALUES ($1, $2, $3, 0, $4, $5, 0, $6, $7, 0, $8, $9)`, [grantId, patient, grantee, id(0), permissions, from, until, revoked, 10 + grantId]);
  }
  await db.query(`INSERT INTO emergencies (access_id, patient, provider, reason_hash, until_time, opened_block, tx_hash) VALUES (1, $1, $2, $3, 500, 9, $4)`, [B, Q, id(0), t1]);
  await db.query(`INSERT INTO provider_profiles (address, display_name, kind, specialty, organization, licence_number, issued_at, signature, profile_hash, search_text)
    VALUES ($1, 'Dr P', 'doctor', 'GP', 'Clinic', 'L1', 1, '0x', '0x', 'dr p')`, [P]);
  await db.query('INSERT INTO record_tokens (record_id, token) VALUES ($1, $2), ($3, $4)', [r1, 'aa', r3, 'bb']);
}

async function behaves(db: Database) {
  await seed(db);
  const records = recordRepository(db);
  const ids = (rows: Array<{ record_id: string }>) => rows.map((r) => r.record_id);
  assert.deepEqual(ids(await records.ofPatient(A)), [r1, r2, r3], 'in the order registered, erased included');
  assert.equal(Number((await records.ofPatient(A))[1]!.erased_block), 5);
  assert.deepEqual(ids(await records.liveOfPatient(A)), [r1, r3]);
  assert.equal(await records.firstLiveIn(A, [c2, c1]), r1);
  assert.equal(await records.firstLiveIn(A, [c2, c2]), undefined, 'the only record in c2 is erased');
  assert.deepEqual(ids(await records.liveOfPatients([A, B])), [r4, r3, r1], 'newest first');
  const one = await records.byId(r2);
  assert.equal(one?.patient, A);
  assert.equal(Number(one?.erased_block), 5);
  assert.equal(await records.byId(id(99)), undefined);
  assert.deepEqual(ids(await records.byIds([r1, r4])).sort(), [r1, r4]);
  assert.deepEqual((await records.versions(r1)).map((v) => [Number(v.version), v.tx_hash]), [[1, t1], [2, t2]]);
  const written = await records.versionByTx(t2);
  assert.deepEqual([written?.record_id, Number(written?.version)], [r1, 2]);
  assert.equal(await records.versionByTx(id(0xee)), undefined);

  const tokens = recordTokenRepository(db);
  assert.deepEqual([...await tokens.recordsWith('aa')], [r1]);
  assert.deepEqual([...await tokens.indexedOf(A)].sort(), [r1, r3]);

  const grants = grantRepository(db);
  const grantIds = (rows: Array<{ grant_id: number | string }>) => rows.map((g) => Number(g.grant_id));
  assert.deepEqual(grantIds(await grants.ofPatient(A)), [1, 2, 3]);
  assert.equal(Number((await grants.ofPatient(A))[0]!.created_block), 11);
  assert.equal((await grants.byId(4))?.patient, B);
  assert.equal(await grants.byId(99), undefined);
  assert.deepEqual(grantIds(await grants.between(A, undefined)), [1, 2, 3]);
  assert.deepEqual(grantIds(await grants.between(undefined, P)), [1, 2, 4]);
  assert.deepEqual(grantIds(await grants.between(A, P)), [1, 2]);
  assert.equal(await grants.hasActive(A, P, 150), true);
  assert.equal(await grants.hasActive(A, Q, 150), false, 'revoked');
  assert.equal(await grants.hasActive(B, P, 150), false, 'not yet valid');
  assert.equal(await grants.hasActive(A, P, 200), false, 'valid_until is exclusive');
  const counts = async (side: 'patient' | 'grantee', who: Address) => Object.fromEntries(Object.entries((await grants.countsByState(side, who, 150n))!).map(([k, v]) => [k, Number(v ?? 0)]));
  assert.deepEqual(await counts('grantee', P), { active: 1, upcoming: 1, expired: 1, revoked: 0 });
  assert.deepEqual(await counts('patient', A), { active: 1, upcoming: 0, expired: 1, revoked: 1 });
  const active = await grants.inState('grantee', P, 'active', 150n, 10, 0);
  assert.deepEqual([grantIds(active), active[0]!.display_name], [[1], 'Dr P']);
  assert.deepEqual(grantIds(await grants.inState('patient', A, 'revoked', 150n, 10, 0)), [3], 'the state without a time placeholder');
  assert.deepEqual(grantIds(await grants.inState('patient', A, 'expired', 150n, 1, 0)), [2]);
  assert.deepEqual(grantIds(await grants.inState('grantee', P, 'upcoming', 150n, 10, 1)), [], 'offset past the one match');
  const byGrant = await grants.openTo(P, '150', 10, 0);
  assert.deepEqual([byGrant.total, byGrant.rows.map((r) => [r.patient, Number(r.until), Number(r.emergency)])], [1, [[A, 200, 0]]]);
  const byBreakGlass = await grants.openTo(Q, '150', 10, 0);
  assert.deepEqual([byBreakGlass.total, byBreakGlass.rows.map((r) => [r.patient, Number(r.until), Number(r.emergency)])], [1, [[B, 500, 1]]], 'a revoked grant opens nothing; a live break-glass does');
}

let server: PgServer;
before(async () => { server = await startPgServer(); });
after(async () => { await server?.stop(); });

test('repository SQL on SQLite: records, versions, tokens and grants read as the routes read them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-repository-'));
  const db = await openSqlite(join(dir, 'db.sqlite'));
  try {
    await behaves(db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('repository SQL on PostgreSQL: the same answers', async () => {
  const db = await openPostgres(await server.createDatabase('repository'));
  try {
    await behaves(db);
  } finally {
    await db.close();
  }
});
