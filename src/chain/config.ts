/**
 * Chain configuration of the embedded node: an ethereumjs `Common` for a proof-of-authority
 * (Clique, EIP-225) network that runs the Cancun EVM.
 *
 * ethereumjs marks the Paris hardfork as the switch to proof-of-stake, and Clique header rules
 * (difficulty 1/2, 97-byte extraData) are only applied while the consensus type is `poa`. Besu
 * and geth run Clique networks with post-merge EVM rules in the same way, so we override the
 * Paris entry to keep its EIPs (3675, 4399) but drop its consensus switch.
 */
import { Common, Hardfork, type ChainConfig, type CustomCrypto } from '@ethereumjs/common';
import { nativeEcrecover, nativeEcsign } from './nativeCrypto.ts';

export const CLIQUE_EPOCH = 30_000;
export const HARDFORK = Hardfork.Cancun;
const HARDFORKS = [
  'chainstart', 'homestead', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople',
  'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'paris',
  'mergeNetsplitBlock', 'shanghai', 'cancun',
] as const;

/**
 * ethereumjs gives every transaction (and block, EVM, VM) a shallow copy of the Common and then
 * calls `updateParams(paramsTx)` on it, which deep-copies the parameter tables and rebuilds the
 * parameter cache: per transaction, several times over its life (admission, sealing). The
 * parameter tables are shared by all copies (shallow copy) and our chain never changes hardfork
 * or EIPs after creation, so once a parameter set has been merged the cache built then is valid
 * for every copy. This subclass reuses it instead of rebuilding (about 10% of sealing CPU and
 * much of the garbage).
 */
class SharedParamsCommon extends Common {
  /** Shared by all copies: `copy()` is Object.assign, which copies this reference. */
  private shared: { applied: Set<object>; cache: unknown } = { applied: new Set(), cache: undefined };

  override updateParams(params: Parameters<Common['updateParams']>[0]): void {
    const self = this as unknown as { _paramsCache: unknown };
    if (this.shared.applied.has(params) && this.shared.cache !== undefined) {
      self._paramsCache = this.shared.cache;
      return;
    }
    super.updateParams(params);
    this.shared.applied.add(params);
    this.shared.cache = self._paramsCache;
  }

  override setHardfork(hardfork: Parameters<Common['setHardfork']>[0]) {
    // A hardfork change would invalidate the shared cache; the node never does one after start.
    if (this.shared?.cache !== undefined && hardfork !== this.hardfork()) throw new Error('hardfork changes are not supported');
    return super.setHardfork(hardfork);
  }
}

export function createChainCommon(chainId: number, blockPeriodSeconds = 1): Common {
  const chain = {
    name: `medchain-${chainId}`,
    chainId,
    defaultHardfork: HARDFORK,
    consensus: { type: 'poa', algorithm: 'clique', clique: { period: blockPeriodSeconds, epoch: CLIQUE_EPOCH } },
    genesis: { gasLimit: 0, difficulty: 1, nonce: '0x0000000000000000', extraData: '0x' },
    hardforks: HARDFORKS.map((name) => ({ name, block: 0 })),
    bootstrapNodes: [],
    customHardforks: { paris: { eips: [3675, 4399] } },
  } as unknown as ChainConfig;
  return new SharedParamsCommon({ chain, hardfork: HARDFORK, customCrypto: nativeEcrecover && nativeEcsign
    // ecsign is typed as noble's overloaded sign(); ours implements the one form ethereumjs calls.
    ? { ecrecover: nativeEcrecover, ecsign: nativeEcsign as unknown as CustomCrypto['ecsign'] }
    : {} });
}
