/**
 * Dev-mode time control and mining, under the Hardhat / anvil names tools use: move the clock,
 * fix the next block's timestamp, seal blocks on demand. Refused on a production node.
 */
import type { Chain } from '../chain.ts';
import { invalidParams } from '../errors.ts';
import { q } from './format.ts';
import { intOrQuantity, param, quantity } from './params.ts';
import { devModeOnly, rpcMethod, type RpcMethods } from './table.ts';

const dev = { devOnly: devModeOnly };
const MAX_MINE = 10_000n;

async function mine(chain: Chain, count: bigint) {
  if (count > MAX_MINE) throw invalidParams('at most 10000 blocks at once');
  for (let i = 0n; i < count; i++) await chain.mine();
}

const setNextBlockTimestamp = rpcMethod([param.intOrQuantity('timestamp')], ({ chain }, [ts]) => {
  if (ts <= chain.head.header.timestamp) throw invalidParams(`timestamp ${ts} is not after the latest block's ${chain.head.header.timestamp}`);
  chain.clock.setNextTimestamp(ts);
  return null;
}, dev);

/** anvil_mine / hardhat_mine: a number of blocks (default one). */
const mineBlocks = rpcMethod([(v: unknown) => (v === undefined ? 1n : quantity(v, 'blocks'))], async ({ chain }, [count]) => {
  await mine(chain, count);
  return null;
}, dev);

export const devTimeMethods: RpcMethods = {
  evm_increaseTime: rpcMethod([param.intOrQuantity('seconds')], ({ chain }, [seconds]) => {
    return q(chain.clock.increase(Number(seconds)));
  }, dev),
  evm_setNextBlockTimestamp: setNextBlockTimestamp,
  anvil_setNextBlockTimestamp: setNextBlockTimestamp,
  /** One block, optionally at a given timestamp. */
  evm_mine: rpcMethod([param.raw], async ({ chain }, [timestamp]) => {
    if (timestamp !== undefined && timestamp !== null) {
      const ts = intOrQuantity(timestamp, 'timestamp');
      if (ts <= chain.head.header.timestamp) throw invalidParams('timestamp must be after the latest block');
      chain.clock.setNextTimestamp(ts);
    }
    await mine(chain, 1n);
    return '0';
  }, dev),
  anvil_mine: mineBlocks,
  hardhat_mine: mineBlocks,
};
