/**
 * The consent view: the state the contracts' access rule reads, kept in memory from the events the
 * gateway indexes once, and backed by the SQL index. It follows the indexer batch by batch: a batch
 * is applied only after its SQL transaction (events, tables and cursor) committed, in chain order,
 * all at once — a decision never sees half a block. At start-up it is rebuilt from SQL (the
 * `chain_events` log of Identity and Consent events, which the indexer commits with its cursor),
 * so a kill -9 at any point restarts from a state that matches the cursor, with no chain re-scan.
 *
 * Records and versions (what RecordRegistry.getRecord / getVersion return) are read from the SQL
 * tables the same transactions write: point lookups by primary key, no chain call.
 *
 * Withdrawn grants: a revocation the patient signed and the gateway accepted (its simulation
 * passed) is denied from that moment, before it is mined, and stays denied if the transaction then
 * fails for any reason other than a bad signature, until the chain records the revocation (or a
 * supersession) or the patient acts on that grant again (extends it through the gateway). They are
 * kept in SQL (`withdrawn_grants`) so the denial survives a restart.
 */
import { getAddress, type Address, type Hex } from 'viem';
import type { IndexedBatch } from '../db/indexer.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import { ConsentState, consentStateEvents } from './state.ts';

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** RecordRegistry.getRecord's answer. */
export interface RecordView { patient: Address; latestVersion: number; createdAt: bigint; erasedAt: bigint; category: Hex }
/** RecordRegistry.getVersion's answer. */
export interface VersionView { author: Address; version: number; previousVersion: number; timestamp: bigint; integrityHash: Hex; contentId: Hex }

/** The last block the view has applied. */
export interface ViewBlock { number: bigint; hash: Hex; timestamp: bigint }

/** The view cannot answer from SQL alone (a row indexed before block times were kept): ask the chain. */
export class ViewIncompleteError extends Error {
  constructor(what: string) { super(`the consent view has no block time for ${what}; read it from the chain`); }
}

export function createConsentView({ db }: { db: SqlExecutor }) {
  const state = new ConsentState();
  let through: ViewBlock | undefined;
  /** Position of the last applied event, so a batch replayed by a concurrent or repeated sync is applied once. */
  let applied = { block: -1n, logIndex: -1 };
  const withdrawn = new Map<bigint, string>();
  const waiters = new Set<{ block: bigint; resolve: () => void }>();
  const stats = { batches: 0, events: 0, recordReads: 0, recordCacheHits: 0 };
  // Records and versions as SQL last answered, for the reads of hot records (every authorized read
  // asks for both: two SQL joins per request showed in the read profile). Only the indexer writes
  // these tables, so the cache is emptied whenever a committed batch carries a RecordRegistry
  // event; `generation` keeps an answer read before such a batch from being stored after it.
  const RECORD_CACHE_MAX = 10_000;
  const records = new Map<string, RecordView>();
  const versions = new Map<string, VersionView>();
  let generation = 0;
  const remember = <T>(cache: Map<string, T>, key: string, value: T, gen: number) => {
    if (gen !== generation) return;
    if (cache.size >= RECORD_CACHE_MAX) cache.delete(cache.keys().next().value!); // the oldest
    cache.set(key, value);
  };

  const revokedOnChain = (grantId: bigint) => (state.grants.get(grantId)?.revokedAt ?? 0n) !== 0n;

  const release = () => {
    for (const w of [...waiters]) if (through && through.number >= w.block) { waiters.delete(w); w.resolve(); }
  };

  function applyOne(eventName: string, args: Record<string, unknown>, blockTimestamp: bigint) {
    state.apply({ eventName, args, blockTimestamp });
    // The chain now says it itself: the gateway's own mark is no longer needed.
    if (eventName === 'GrantRevoked' || eventName === 'GrantSuperseded') {
      const id = BigInt(args.grantId as string);
      if (withdrawn.delete(id)) void db.query('DELETE FROM withdrawn_grants WHERE grant_id = $1', [id.toString()]).catch(() => undefined);
    }
  }

  return {
    state,

    /**
     * Rebuilds the view from SQL, up to the indexer's cursor (`last`: the last indexed block, read
     * by the caller with the cursor). Call before the indexer runs its first sync.
     */
    async load(last: ViewBlock | undefined): Promise<void> {
      const names = consentStateEvents.map((_n, i) => `$${i + 1}`).join(', ');
      const rows = await db.query<{ block_number: number | string; log_index: number | string; name: string; args: string; timestamp: number | string | null }>(
        `SELECT c.block_number, c.log_index, c.name, c.args, b.block_time AS timestamp FROM chain_events c LEFT JOIN block_times b ON b.block_number = c.block_number
         WHERE c.contract IN ('identity', 'consent') AND c.name IN (${names}) ORDER BY c.block_number, c.log_index`, [...consentStateEvents]);
      for (const row of rows) {
        const block = BigInt(row.block_number);
        if (last && block > last.number) break;
        // Rows indexed before block times were kept: any non-zero second marks "revoked" / "closed"
        // correctly, since the rule only asks whether those happened (time only moves forward).
        applyOne(row.name, JSON.parse(row.args) as Record<string, unknown>, row.timestamp === null ? 1n : BigInt(row.timestamp));
        applied = { block, logIndex: Number(row.log_index) };
      }
      if (last) applied = { block: last.number, logIndex: Number.MAX_SAFE_INTEGER };
      for (const row of await db.query<{ grant_id: number | string; patient: string }>('SELECT grant_id, patient FROM withdrawn_grants')) {
        const id = BigInt(row.grant_id);
        // Revoked (or superseded) on chain and indexed meanwhile (e.g. mined just before a restart): the mark is done.
        if (revokedOnChain(id)) await db.query('DELETE FROM withdrawn_grants WHERE grant_id = $1', [id.toString()]);
        else withdrawn.set(id, row.patient);
      }
      through = last;
      release();
    },

    /** Applies one committed indexer batch (IndexerOptions.onCommitted). */
    commit(batch: IndexedBatch): void {
      if (batch.logs.some((l) => l.contract === 'recordRegistry')) { generation++; records.clear(); versions.clear(); }
      for (const { log } of batch.logs) {
        if (log.blockNumber < applied.block || (log.blockNumber === applied.block && log.logIndex <= applied.logIndex)) continue;
        applyOne(log.eventName, log.args, log.blockTimestamp);
        applied = { block: log.blockNumber, logIndex: log.logIndex };
        stats.events++;
      }
      if (!through || batch.through.number > through.number) {
        through = { number: batch.through.number, hash: batch.through.hash as Hex, timestamp: batch.through.timestamp };
        if (applied.block < through.number) applied = { block: through.number, logIndex: -1 };
      }
      stats.batches++;
      release();
    },

    /** The last block applied (undefined until loaded). */
    through: (): ViewBlock | undefined => through,

    /** Resolves once the view has applied `block`; rejects after `timeoutMs`. */
    waitFor(block: bigint, timeoutMs: number): Promise<void> {
      if (through && through.number >= block) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = { block, resolve: () => { clearTimeout(timer); resolve(); } };
        const timer = setTimeout(() => { waiters.delete(waiter); reject(new Error(`the consent view did not reach block ${block} in ${timeoutMs} ms`)); }, timeoutMs);
        waiters.add(waiter);
      });
    },

    /** Marks a grant withdrawn (durably) from now on: see the file comment. */
    async withdraw(grantId: bigint, patient: Address, acceptedAt: bigint): Promise<void> {
      await db.query('INSERT INTO withdrawn_grants (grant_id, patient, accepted_at) VALUES ($1, $2, $3) ON CONFLICT (grant_id) DO NOTHING',
        [grantId.toString(), patient.toLowerCase(), acceptedAt.toString()]);
      // The chain's revocation was indexed while the row was written: nothing left to deny by hand,
      // and no event will come to prune the row.
      if (revokedOnChain(grantId)) { await db.query('DELETE FROM withdrawn_grants WHERE grant_id = $1', [grantId.toString()]); return; }
      withdrawn.set(grantId, patient.toLowerCase());
    },

    /** Lifts a withdrawal (the signature was refused, or the patient acted on the grant again). */
    async restore(grantId: bigint): Promise<void> {
      withdrawn.delete(grantId);
      await db.query('DELETE FROM withdrawn_grants WHERE grant_id = $1', [grantId.toString()]);
    },

    isWithdrawn: (grantId: bigint): boolean => withdrawn.has(grantId),

    /** RecordRegistry.getRecord from the SQL index (a zero record when unknown, like the contract). */
    async record(recordId: Hex): Promise<RecordView> {
      stats.recordReads++;
      const key = recordId.toLowerCase();
      const hit = records.get(key);
      if (hit) { stats.recordCacheHits++; return { ...hit }; }
      const gen = generation;
      const [row] = await db.query<{ patient: string; category: string; latest_version: number | string; erased_block: unknown; created_at: number | string | null; erased_at: number | string | null }>(
        `SELECT r.patient, r.category, r.latest_version, r.erased_block, c.block_time AS created_at, e.block_time AS erased_at FROM records r
         LEFT JOIN block_times c ON c.block_number = r.created_block LEFT JOIN block_times e ON e.block_number = r.erased_block WHERE r.record_id = $1`, [recordId.toLowerCase()]);
      if (!row) return { patient: ZERO_ADDRESS, latestVersion: 0, createdAt: 0n, erasedAt: 0n, category: ZERO32 };
      const erased = row.erased_block !== null && row.erased_block !== undefined;
      if (row.created_at === null || (erased && row.erased_at === null)) throw new ViewIncompleteError('this record');
      const view: RecordView = {
        patient: getAddress(row.patient), latestVersion: Number(row.latest_version), createdAt: BigInt(row.created_at),
        erasedAt: erased ? BigInt(row.erased_at!) : 0n, category: row.category as Hex,
      };
      remember(records, key, view, gen);
      return { ...view };
    },

    /** RecordRegistry.getVersion from the SQL index (a zero version when unknown). */
    async version(recordId: Hex, version: number): Promise<VersionView> {
      const key = `${recordId.toLowerCase()}/${version}`;
      const hit = versions.get(key);
      if (hit) return { ...hit };
      const gen = generation;
      const [row] = await db.query<{ author: string; content_id: string; integrity_hash: string; timestamp: number | string | null }>(
        `SELECT v.author, v.content_id, v.integrity_hash, b.block_time AS timestamp FROM record_versions v LEFT JOIN block_times b ON b.block_number = v.block_number
         WHERE v.record_id = $1 AND v.version = $2`, [recordId.toLowerCase(), version]);
      if (!row) return { author: ZERO_ADDRESS, version: 0, previousVersion: 0, timestamp: 0n, integrityHash: ZERO32, contentId: '0x' };
      if (row.timestamp === null) throw new ViewIncompleteError('this version');
      const view: VersionView = {
        // updateRecord numbers versions consecutively: the previous one is always version - 1.
        author: getAddress(row.author), version, previousVersion: version - 1, timestamp: BigInt(row.timestamp),
        // Erasure clears both on chain (the index keeps '0x' for the hash).
        integrityHash: (row.integrity_hash === '0x' ? ZERO32 : row.integrity_hash) as Hex, contentId: row.content_id as Hex,
      };
      remember(versions, key, view, gen);
      return { ...view };
    },

    stats: () => ({ ...stats, block: through?.number ?? null, withdrawn: withdrawn.size }),
  };
}

export type ConsentView = ReturnType<typeof createConsentView>;
