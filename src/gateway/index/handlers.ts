/**
 * Indexer handlers: one per MedChain event, each idempotent (upserts keyed by ids, and every event
 * kept once by (tx hash, log index)), so replaying a block range after a restart or a reorg
 * changes nothing. They run inside the indexer's transaction that advances its cursor.
 */
import type { Address, Hex } from 'viem';
import { RequestStatus } from '../../sdk/contracts.ts';
import { enqueueShred } from './shredJobs.ts';
import type { SqlExecutor } from '../db/sqlExecutor.ts';

/** What the handlers need from the SQL layer (satisfied by src/gateway/db's Database and its transactions). */
export type { SqlExecutor } from '../db/sqlExecutor.ts';

export interface IndexedLog {
  eventName: string;
  args: Record<string, unknown>;
  address: Address;
  blockNumber: bigint;
  transactionHash: Hex;
  logIndex: number;
  /** The block's timestamp (the indexer fetches it; absent in older callers). */
  blockTimestamp?: bigint;
}

type Handler = (db: SqlExecutor, log: IndexedLog) => Promise<void>;

const lower = (v: unknown) => String(v).toLowerCase();
const num = (v: unknown) => (typeof v === 'bigint' ? v.toString() : String(v));
const json = (args: Record<string, unknown>) => JSON.stringify(args, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** The account an event is about, so a patient's or provider's feed is one indexed lookup. */
function subjectOf(log: IndexedLog): string | null {
  const a = log.args;
  const who = a.patient ?? a.provider ?? a.account ?? a.grantee ?? a.author ?? a.admin ?? a.gateway ?? a.auditor ?? a.device ?? a.producer;
  return who === undefined ? null : lower(who);
}

const requestStatus = Object.fromEntries(Object.entries(RequestStatus).map(([k, v]) => [v, k.toLowerCase()]));

const handlers: Record<string, Handler> = {
  async RecordAdded(db, { args, blockNumber, transactionHash }) {
    await db.query(`INSERT INTO records (record_id, patient, category, latest_version, created_block) VALUES ($1, $2, $3, 1, $4)
      ON CONFLICT (record_id) DO NOTHING`, [lower(args.recordId), lower(args.patient), lower(args.category), num(blockNumber)]);
    await db.query(`INSERT INTO record_versions (record_id, version, author, content_id, integrity_hash, block_number, tx_hash) VALUES ($1, 1, $2, $3, $4, $5, $6)
      ON CONFLICT (record_id, version) DO NOTHING`, [lower(args.recordId), lower(args.author), lower(args.contentId), lower(args.integrityHash), num(blockNumber), lower(transactionHash)]);
  },
  async RecordUpdated(db, { args, blockNumber, transactionHash }) {
    await db.query(`INSERT INTO record_versions (record_id, version, author, content_id, integrity_hash, block_number, tx_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (record_id, version) DO NOTHING`, [lower(args.recordId), num(args.version), lower(args.author), lower(args.contentId), lower(args.integrityHash), num(blockNumber), lower(transactionHash)]);
    await db.query('UPDATE records SET latest_version = $1 WHERE record_id = $2 AND latest_version < $1', [num(args.version), lower(args.recordId)]);
  },
  async RecordErased(db, { args, blockNumber }) {
    await db.query('UPDATE records SET erased_block = $1 WHERE record_id = $2', [num(blockNumber), lower(args.recordId)]);
    // Crypto-shredding follows the chain event itself: the job is queued in this same transaction,
    // with the content ids the index still knows, before they are cleared like on chain.
    await enqueueShred(db, lower(args.recordId) as Hex, lower(args.patient), blockNumber);
    await db.query(`UPDATE record_versions SET content_id = '0x', integrity_hash = '0x' WHERE record_id = $1`, [lower(args.recordId)]);
  },
  async GrantCreated(db, { args, blockNumber }) {
    await db.query(`INSERT INTO grants (grant_id, patient, grantee, scope_kind, scope_value, permissions, purpose, valid_from, valid_until, request_id, created_block)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (grant_id) DO NOTHING`, [
      num(args.grantId), lower(args.patient), lower(args.grantee), num(args.scopeKind), lower(args.scopeValue), num(args.permissions),
      lower(args.purpose), num(args.validFrom), num(args.validUntil), num(args.requestId), num(blockNumber),
    ]);
  },
  async GrantRevoked(db, { args, blockNumber }) {
    await db.query('UPDATE grants SET revoked_block = $1 WHERE grant_id = $2 AND revoked_block IS NULL', [num(blockNumber), num(args.grantId)]);
  },
  async GrantSuperseded(db, { args, blockNumber }) {
    await db.query('UPDATE grants SET revoked_block = $1 WHERE grant_id = $2 AND revoked_block IS NULL', [num(blockNumber), num(args.grantId)]);
  },
  async GrantExtended(db, { args }) {
    await db.query('UPDATE grants SET valid_until = $1 WHERE grant_id = $2', [num(args.validUntil), num(args.grantId)]);
  },
  async AccessRequested(db, { args, blockNumber }) {
    await db.query(`INSERT INTO access_requests (request_id, patient, provider, scope_kind, scope_value, permissions, purpose, valid_from, valid_until, status, created_block)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10) ON CONFLICT (request_id) DO NOTHING`, [
      num(args.requestId), lower(args.patient), lower(args.provider), num(args.scopeKind), lower(args.scopeValue), num(args.permissions),
      lower(args.purpose), num(args.validFrom), num(args.validUntil), num(blockNumber),
    ]);
  },
  async AccessRequestApproved(db, { args }) {
    await db.query(`UPDATE access_requests SET status = $1, grant_id = $2 WHERE request_id = $3`, [requestStatus[RequestStatus.Approved], num(args.grantId), num(args.requestId)]);
  },
  async AccessRequestRejected(db, { args }) {
    await db.query('UPDATE access_requests SET status = $1 WHERE request_id = $2', [requestStatus[RequestStatus.Rejected], num(args.requestId)]);
  },
  async AccessRequestCancelled(db, { args }) {
    await db.query('UPDATE access_requests SET status = $1 WHERE request_id = $2', [requestStatus[RequestStatus.Cancelled], num(args.requestId)]);
  },
  async EmergencyAccessOpened(db, { args, blockNumber, transactionHash }) {
    await db.query(`INSERT INTO emergencies (access_id, patient, provider, reason_hash, until_time, opened_block, tx_hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (access_id) DO NOTHING`, [
      num(args.accessId), lower(args.patient), lower(args.provider), lower(args.reasonHash), num(args.until), num(blockNumber), lower(transactionHash),
    ]);
  },
  async EmergencyAccessClosed(db, { args }) {
    await db.query('UPDATE emergencies SET closed_by = $1 WHERE access_id = $2', [lower(args.closedBy), num(args.accessId)]);
  },
  async ProviderApplied(db, { args, blockNumber }) {
    await db.query(`INSERT INTO providers (address, kind, status, updated_block) VALUES ($1, $2, 'pending', $3)
      ON CONFLICT (address) DO NOTHING`, [lower(args.provider), num(args.kind), num(blockNumber)]);
  },
  async ProviderAccredited(db, { args, blockNumber }) { await setProviderStatus(db, args.provider, 'active', blockNumber); },
  async ProviderSuspended(db, { args, blockNumber }) { await setProviderStatus(db, args.provider, 'suspended', blockNumber); },
  async ProviderReinstated(db, { args, blockNumber }) { await setProviderStatus(db, args.provider, 'active', blockNumber); },
};

async function setProviderStatus(db: SqlExecutor, provider: unknown, status: string, blockNumber: bigint) {
  // Only move forward in block order, so a replayed older event cannot undo a newer one.
  await db.query('UPDATE providers SET status = $1, updated_block = $2 WHERE address = $3 AND updated_block <= $2', [status, num(blockNumber), lower(provider)]);
}

/**
 * Records block times, for what the contracts stamp with block.timestamp (record and version times,
 * grant revocations, break-glass closes): the consent view rebuilds them from here. The indexer
 * calls it once per block of a batch (IndexerOptions.onBlockTimes), not once per event.
 */
export async function writeBlockTimes(db: SqlExecutor, blocks: ReadonlyArray<{ number: bigint; timestamp: bigint }>): Promise<void> {
  for (const b of blocks) {
    await db.query('INSERT INTO block_times (block_number, block_time) VALUES ($1, $2) ON CONFLICT (block_number) DO NOTHING', [num(b.number), num(b.timestamp)]);
  }
}

/**
 * Applies one decoded MedChain event: its table update and the explorer's event log. With
 * `blockTimes: false` its block's time is left to writeBlockTimes (the gateway's indexer writes it
 * once per block); alone (tests, tools) it writes it too.
 */
export async function applyChainEvent(db: SqlExecutor, log: IndexedLog, contract: string, options: { blockTimes?: boolean } = {}): Promise<void> {
  await db.query(`INSERT INTO chain_events (tx_hash, log_index, block_number, contract, name, subject, args) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (tx_hash, log_index) DO NOTHING`, [lower(log.transactionHash), log.logIndex, num(log.blockNumber), contract, log.eventName, subjectOf(log), json(log.args)]);
  if (options.blockTimes !== false && log.blockTimestamp !== undefined) await writeBlockTimes(db, [{ number: log.blockNumber, timestamp: log.blockTimestamp }]);
  await handlers[log.eventName]?.(db, log);
}

export const indexedEvents = Object.keys(handlers);
