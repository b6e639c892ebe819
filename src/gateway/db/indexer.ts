/**
 * Chain-event indexer: reads MedChain's logs with eth_getLogs in block ranges, decodes them with
 * the contract ABIs, and applies each one inside the SQL transaction that also advances its
 * cursor. A crash at any point leaves either the whole range applied with the cursor past it, or
 * neither — so after a restart no event is skipped or applied twice. Handlers are idempotent as a
 * second line of defence (and for reorg rewinds: the cursor remembers the last block's hash and
 * steps back when it changed; PoA and QBFT finalize at once, so this is a safeguard).
 */
import { parseEventLogs, type Abi, type Address, type Log, type PublicClient } from 'viem';
import type { SqlExecutor } from '../index/handlers.ts';
import type { Database } from './index.ts';

export const indexerMigrations = [
  { id: 'indexer-1', sql: 'CREATE TABLE IF NOT EXISTS indexer_cursor (name TEXT PRIMARY KEY, next_block BIGINT NOT NULL, last_hash TEXT)' },
] as const;

export interface IndexedContract { name: string; address: Address; abi: Abi }

/** A decoded log, with the timestamp of its block (handlers and the consent view need it). */
export type DecodedLog = Log<bigint, number, false> & { eventName: string; args: Record<string, unknown>; blockTimestamp: bigint };

/** One committed batch: its events in chain order, and the last block it covers. */
export interface IndexedBatch { logs: Array<{ log: DecodedLog; contract: string }>; through: { number: bigint; hash: string; timestamp: bigint } }

export interface IndexerOptions {
  db: Database;
  client: PublicClient;
  contracts: IndexedContract[];
  fromBlock: bigint;
  onEvent: (tx: SqlExecutor, log: DecodedLog, contract: string) => Promise<void>;
  /** In each batch's transaction, before its events: the time of every block that has one (once per block). */
  onBlockTimes?: (tx: SqlExecutor, times: ReadonlyArray<{ number: bigint; timestamp: bigint }>) => Promise<void>;
  batchSize?: bigint;
  confirmations?: number;
  pollMs?: number;
  name?: string;
  /** How far to step back when the last indexed block's hash changed. */
  reorgDepth?: bigint;
  /** Called after each batch's transaction committed, before waiters are released (the consent view applies it). */
  onCommitted?: (batch: IndexedBatch) => void;
  /** Called with the node's head each time the indexer asks for it. */
  onHead?: (head: bigint) => void;
}

export function createIndexer(options: IndexerOptions) {
  const name = options.name ?? 'medchain';
  const batch = options.batchSize ?? 2_000n;
  const byAddress = new Map(options.contracts.map((c) => [c.address.toLowerCase(), c]));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let again = false;
  let migrated = false;
  const waiters = new Set<{ block: bigint; resolve: () => void }>();

  async function cursor(): Promise<{ next: bigint; lastHash: string | null }> {
    if (!migrated) {
      for (const m of indexerMigrations) await options.db.exec(m.sql);
      migrated = true;
    }
    const [row] = await options.db.query<{ next_block: number | string; last_hash: string | null }>('SELECT next_block, last_hash FROM indexer_cursor WHERE name = $1', [name]);
    return row ? { next: BigInt(row.next_block), lastHash: row.last_hash } : { next: options.fromBlock, lastHash: null };
  }

  /** The next block to index. */
  async function position(): Promise<bigint> { return (await cursor()).next; }

  async function syncOnce(): Promise<number> {
    const start = await cursor();
    let next = start.next;
    const lastHash = start.lastHash;
    const tip = await options.client.getBlockNumber({ cacheTime: 0 });
    options.onHead?.(tip);
    const head = tip - BigInt(options.confirmations ?? 0);
    if (lastHash && next > 0n) {
      const seen = await options.client.getBlock({ blockNumber: next - 1n }).catch(() => undefined);
      if (seen && seen.hash !== lastHash) {
        const back = next - (options.reorgDepth ?? 64n);
        next = back > options.fromBlock ? back : options.fromBlock;
      }
    }
    let applied = 0;
    while (next <= head && !stopped) {
      const to = next + batch - 1n < head ? next + batch - 1n : head;
      const raw = await options.client.getLogs({ address: [...byAddress.values()].map((c) => c.address), fromBlock: next, toBlock: to });
      const decoded: Array<{ log: DecodedLog; contract: string }> = [];
      for (const log of raw) {
        const contract = byAddress.get(log.address.toLowerCase());
        if (!contract) continue;
        const [event] = parseEventLogs({ abi: contract.abi, logs: [log], strict: false }) as unknown as DecodedLog[];
        if (event?.eventName) decoded.push({ log: event, contract: contract.name });
      }
      decoded.sort((a, b) => Number(a.log.blockNumber - b.log.blockNumber) || a.log.logIndex - b.log.logIndex);
      const lastBlock = await options.client.getBlock({ blockNumber: to });
      // Each event's block time (records' and grants' timestamps, break-glass closes): one header
      // per block that has MedChain events, fetched a few at a time.
      const times = new Map<bigint, bigint>([[to, lastBlock.timestamp]]);
      const missing = [...new Set(decoded.map((d) => d.log.blockNumber))].filter((b) => !times.has(b));
      for (let i = 0; i < missing.length; i += 32) {
        const blocks = await Promise.all(missing.slice(i, i + 32).map((blockNumber) => options.client.getBlock({ blockNumber })));
        for (const b of blocks) times.set(b.number, b.timestamp);
      }
      for (const d of decoded) d.log.blockTimestamp = times.get(d.log.blockNumber)!;
      await options.db.transaction(async (tx) => {
        if (options.onBlockTimes) {
          const blocks = [...new Set(decoded.map((d) => d.log.blockNumber))].map((number) => ({ number, timestamp: times.get(number)! }));
          if (blocks.length > 0) await options.onBlockTimes(tx, blocks);
        }
        for (const { log, contract } of decoded) await options.onEvent(tx, log, contract);
        await tx.query(`INSERT INTO indexer_cursor (name, next_block, last_hash) VALUES ($1, $2, $3)
          ON CONFLICT (name) DO UPDATE SET next_block = excluded.next_block, last_hash = excluded.last_hash`, [name, (to + 1n).toString(), lastBlock.hash]);
      });
      applied += decoded.length;
      next = to + 1n;
      options.onCommitted?.({ logs: decoded, through: { number: to, hash: lastBlock.hash, timestamp: lastBlock.timestamp } });
      for (const w of [...waiters]) if (w.block < next) { waiters.delete(w); w.resolve(); }
    }
    return applied;
  }

  function tick() {
    if (stopped) return;
    timer = undefined;
    running = syncOnce().then(() => undefined, () => undefined).finally(() => {
      running = undefined;
      const soon = again;
      again = false;
      if (!stopped) timer = setTimeout(tick, soon ? 0 : options.pollMs ?? 500);
    });
  }

  return {
    syncOnce,
    position,
    start() { stopped = false; tick(); },
    /** Sync now instead of at the next poll (a new block is known); once more right after a sync under way. */
    kick() {
      if (stopped) return;
      if (running) { again = true; return; }
      if (timer) clearTimeout(timer);
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    /** Resolves once every block up to `block` is indexed. */
    async waitFor(block: bigint, timeoutMs = 30_000): Promise<void> {
      if ((await position()) > block) return;
      await new Promise<void>((resolve, reject) => {
        const waiter = { block, resolve: () => { clearTimeout(t); resolve(); } };
        const t = setTimeout(() => { waiters.delete(waiter); reject(new Error(`indexer did not reach block ${block} in ${timeoutMs} ms`)); }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
