/** What a JSON-RPC method runs against: the chain, the endpoint's mode and rights, installed filters. */
import type { Chain } from '../chain.ts';
import type { CallLane } from '../callPool.ts';
import type { Hex } from '../types.ts';
import type { LogFilter } from './logs.ts';

export interface RpcContext {
  chain: Chain;
  mode: 'dev' | 'production';
  devKeys: Map<string, Hex>;
  /** perm_* admin methods are only served in-process unless the server is told otherwise. */
  admin: boolean;
  /** Which call-worker lane this endpoint's eth_call/eth_estimateGas use (default trusted). */
  lane?: CallLane;
  /** Installed polling filters (eth_newFilter / eth_newBlockFilter), shared by all transports. */
  filters?: Map<string, PollFilter>;
}

/** A polling filter: what it matches and the first block its next eth_getFilterChanges reports. */
export interface PollFilter { kind: 'logs' | 'blocks'; filter?: LogFilter; next: bigint; touched: number }
