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
  return new Common({ chain, hardfork: HARDFORK, customCrypto: nativeEcrecover && nativeEcsign
    // ecsign is typed as noble's overloaded sign(); ours implements the one form ethereumjs calls.
    ? { ecrecover: nativeEcrecover, ecsign: nativeEcsign as unknown as CustomCrypto['ecsign'] }
    : {} });
}
