/**
 * The consent view's own bookkeeping on a real SQLite database: `withdrawn_grants` rows (revocations
 * the gateway accepted before they were mined) are pruned once the chain's revocation is indexed,
 * also when it was indexed before the row was written or before a restart (no event would come to
 * prune them); a grant the chain has not revoked stays withdrawn, in memory and in SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite, migrate } from '../db/index.ts';
import { chainIndexMigrations } from '../index/schema.ts';
import { createConsentView } from './view.ts';

const patient = '0x1111111111111111111111111111111111111111';
const grantee = '0x2222222222222222222222222222222222222222';
const created = (grantId: number) => ({
  eventName: 'GrantCreated', blockTimestamp: 10n,
  args: { grantId: String(grantId), patient, grantee, scopeKind: 0, scopeValue: `0x${'00'.repeat(32)}`, permissions: 1, purpose: 0, validFrom: '0', validUntil: '1000000' },
});

test('withdrawn grants: pruned once the chain\'s revocation is indexed, whenever it was; kept while it is not', async () => {
  const db = await openSqlite(':memory:');
  await migrate(db, chainIndexMigrations);
  const rows = async () => (await db.query<{ grant_id: number | string }>('SELECT grant_id FROM withdrawn_grants ORDER BY grant_id')).map((r) => Number(r.grant_id));
  try {
    // Before a restart: grant 1 was withdrawn, then revoked on chain and indexed, but the row stayed.
    await db.query('INSERT INTO withdrawn_grants (grant_id, patient, accepted_at) VALUES ($1, $2, $3)', ['1', patient, '5']);
    await db.query('INSERT INTO withdrawn_grants (grant_id, patient, accepted_at) VALUES ($1, $2, $3)', ['2', patient, '5']);
    const view = createConsentView({ db });
    for (const e of [created(1), created(2), created(3), { eventName: 'GrantRevoked', blockTimestamp: 20n, args: { grantId: '1' } }]) view.state.apply(e);
    await view.load(undefined);
    assert.deepEqual(await rows(), [2], 'the revoked grant\'s row is pruned at load; the unrevoked one kept');
    assert.equal(view.isWithdrawn(1n), false);
    assert.equal(view.isWithdrawn(2n), true);

    // Revoked on chain and indexed while the gateway was writing its own mark: not kept.
    view.state.apply({ eventName: 'GrantRevoked', blockTimestamp: 30n, args: { grantId: '3' } });
    await view.withdraw(3n, patient, 31n);
    assert.deepEqual(await rows(), [2]);
    assert.equal(view.isWithdrawn(3n), false);

    // The chain's revocation of grant 2 arrives through a committed batch: the mark goes.
    view.commit({ logs: [{ contract: 'consent', log: { eventName: 'GrantRevoked', args: { grantId: 2n }, blockNumber: 7n, logIndex: 0, blockTimestamp: 40n } as never }], through: { number: 7n, hash: `0x${'07'.repeat(32)}`, timestamp: 40n } });
    assert.equal(view.isWithdrawn(2n), false);
    for (let i = 0; i < 50 && (await rows()).length > 0; i++) await new Promise((r) => setTimeout(r, 5)); // pruned in the background
    assert.deepEqual(await rows(), []);
  } finally {
    await db.close();
  }
});
