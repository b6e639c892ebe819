/**
 * When a block was sealed, read from the chain once per block and kept (blocks never change):
 * Consent.dateTime is the time of the block that created the grant.
 */
import type { PublicClient } from 'viem';

const MAX_CACHED = 10_000;

export function blockTimes(client: Pick<PublicClient, 'getBlock'>) {
  const times = new Map<number, number>();
  /** The block's timestamp in unix seconds. */
  return async function blockTime(block: number): Promise<number> {
    let t = times.get(block);
    if (t === undefined) {
      t = Number((await client.getBlock({ blockNumber: BigInt(block) })).timestamp);
      if (times.size > MAX_CACHED) times.clear();
      times.set(block, t);
    }
    return t;
  };
}
