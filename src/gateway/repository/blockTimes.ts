/**
 * When a block was sealed: Consent.dateTime is the time of the block that created the grant. The
 * indexer already keeps every indexed block's time (`block_times`, index/handlers.ts
 * writeBlockTimes), and a grant's block is indexed before its row exists, so the index answers;
 * the chain is asked only for a block the index lacks (an older data directory).
 */
import type { PublicClient } from 'viem';
import type { SqlExecutor } from '../index/handlers.ts';

export function blockTimes(deps: { index: SqlExecutor; client: Pick<PublicClient, 'getBlock'> }) {
  /** The block's timestamp in unix seconds. */
  return async function blockTime(block: number): Promise<number> {
    const [row] = await deps.index.query<{ block_time: number | string }>('SELECT block_time FROM block_times WHERE block_number = $1', [block]);
    if (row) return Number(row.block_time);
    return Number((await deps.client.getBlock({ blockNumber: BigInt(block) })).timestamp);
  };
}
