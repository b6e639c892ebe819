import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { parseEventLogs, type Abi } from 'viem';
import {
  AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, Permission, RecordRegistryAbi, ScopeKind, ZERO_SCOPE, recordCategory,
} from '../../sdk/contracts.ts';
import { medchainFixture, randomKey } from '../../../contracts/test/fixture.ts';
import { applyChainEvent, type IndexedLog, type SqlExecutor } from './handlers.ts';
import { chainIndexMigrations } from './schema.ts';
import { opaquePurpose } from '../../../test/purposes.ts';

/** better-sqlite3 behind the handlers' interface ($n placeholders become SQLite's ?n). */
function sqlite(): SqlExecutor & { raw: Database.Database } {
  const raw = new Database(':memory:');
  return {
    raw,
    async query<T>(sql: string, params: unknown[] = []) {
      const order: unknown[] = [];
      const stmt = raw.prepare(sql.replace(/\$(\d+)/g, (_m, n: string) => { order.push(params[Number(n) - 1]); return '?'; }));
      return (stmt.reader ? stmt.all(...order) : (stmt.run(...order), [])) as T[];
    },
  };
}

test('chain events index into SQL tables, and replaying them changes nothing', async () => {
  const f = await medchainFixture();
  const t = await f.latestTimestamp();
  const obs = recordCategory('Observation');
  const record = randomKey();
  const cid = `0x01551220${'33'.repeat(32)}` as const;
  const cid2 = `0x01551220${'44'.repeat(32)}` as const;
  await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.doctor, scopeKind: ScopeKind.Category, scopeValue: obs, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t + 1000n }]));
  await f.mined(f.as('doctor').recordRegistry.write.addRecord([record, f.addr.patient, obs, cid, randomKey()]));
  await f.mined(f.as('doctor').recordRegistry.write.updateRecord([record, 1, cid2, randomKey()]));
  await f.mined(f.as('lab').consent.write.requestAccess([f.addr.patient, { grantee: f.addr.lab, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Research'), validFrom: 0n, validUntil: t + 500n }]));
  await f.mined(f.as('patient').consent.write.rejectRequest([1n]));
  await f.mined(f.as('patient').consent.write.extend([1n, t + 2000n]));
  await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]));
  await f.mined(f.as('patient').consent.write.revoke([1n]));
  await f.mined(f.as('patient').recordRegistry.write.eraseRecord([record]));

  const abis: Array<[string, Abi]> = [['identity', IdentityAbi], ['consent', ConsentAbi], ['recordRegistry', RecordRegistryAbi], ['incentives', IncentivesAbi], ['accessLogAnchor', AccessLogAnchorAbi]];
  const logs: Array<[IndexedLog, string]> = [];
  for (const [name, abi] of abis) {
    const raw = await f.publicClient.getLogs({ address: f.addresses[name as keyof typeof f.addresses], fromBlock: 0n });
    for (const log of parseEventLogs({ abi, logs: raw })) logs.push([log as unknown as IndexedLog, name]);
  }
  logs.sort((a, b) => Number(a[0].blockNumber - b[0].blockNumber) || a[0].logIndex - b[0].logIndex);

  const db = sqlite();
  for (const m of chainIndexMigrations) db.raw.exec(m.sql);
  for (const [log, contract] of logs) await applyChainEvent(db, log, contract);
  const snapshot = () => Object.fromEntries(['records', 'record_versions', 'grants', 'access_requests', 'emergencies', 'providers', 'chain_events', 'shred_jobs', 'shred_job_blobs']
    .map((table) => [table, db.raw.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()]));
  const first = snapshot();
  for (const [log, contract] of logs) await applyChainEvent(db, log, contract);
  assert.deepEqual(snapshot(), first, 'replay is a no-op');

  const rec = db.raw.prepare('SELECT * FROM records').get() as Record<string, unknown>;
  assert.equal(rec.patient, f.addr.patient.toLowerCase());
  assert.equal(rec.latest_version, 2);
  assert.ok(rec.erased_block);
  assert.equal((first.record_versions as unknown[]).length, 2);
  // The erasure queued one shredding job, with both versions' content ids, in the same transaction.
  assert.deepEqual((first.shred_jobs as Array<{ record_id: string; status: string }>).map((j) => [j.record_id, j.status]), [[record.toLowerCase(), 'pending']]);
  assert.deepEqual((first.shred_job_blobs as Array<{ content_id: string; author: string }>).map((b) => [b.content_id, b.author]).sort(),
    [[cid, f.addr.doctor.toLowerCase()], [cid2, f.addr.doctor.toLowerCase()]]);
  assert.deepEqual((first.record_versions as Array<{ content_id: string }>).map((v) => v.content_id), ['0x', '0x'], 'content ids cleared like on chain');
  const grant = db.raw.prepare('SELECT * FROM grants WHERE grant_id = 1').get() as Record<string, unknown>;
  assert.equal(grant.valid_until, Number(t + 2000n));
  assert.ok(grant.revoked_block);
  assert.equal((db.raw.prepare('SELECT status FROM access_requests').get() as { status: string }).status, 'rejected');
  assert.equal((db.raw.prepare('SELECT provider FROM emergencies').get() as { provider: string }).provider, f.addr.hospital.toLowerCase());
  assert.deepEqual(db.raw.prepare('SELECT status FROM providers ORDER BY address').all().map((r) => (r as { status: string }).status), ['active', 'active', 'active']);
  assert.equal((first.chain_events as unknown[]).length, logs.length);
});
