/** Methods about the node and the network: versions, chain id, height, fees (all zero on this chain), signers, pool. */
import { keccak256 } from 'viem';
import { invalidParams } from '../errors.ts';
import { blockTag, resolveBlock } from './blockTag.ts';
import { q } from './format.ts';
import { param } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

export const CLIENT_VERSION = 'MedChain/embedded-node/v0.1.0/ethereumjs-10.1.3';

const constant = (value: unknown) => rpcMethod([], () => value);

export const nodeInfoMethods: RpcMethods = {
  web3_clientVersion: constant(CLIENT_VERSION),
  web3_sha3: rpcMethod([param.data('data')], (_, [bytes]) => keccak256(bytes)),
  net_version: rpcMethod([], ({ chain }) => String(chain.options.chainId)),
  net_listening: constant(true),
  net_peerCount: constant('0x0'),
  eth_chainId: rpcMethod([], ({ chain }) => q(chain.options.chainId)),
  eth_blockNumber: rpcMethod([], ({ chain }) => q(chain.head.header.number)),
  eth_syncing: constant(false),
  eth_mining: constant(true),
  eth_hashrate: constant('0x0'),
  eth_coinbase: rpcMethod([], ({ chain }) => chain.signer.toString()),
  eth_accounts: rpcMethod([], (ctx) => (ctx.mode === 'dev' ? [...ctx.devKeys.keys()] : [])),
  eth_gasPrice: constant('0x0'),
  eth_maxPriorityFeePerGas: constant('0x0'),
  eth_blobBaseFee: constant('0x0'),
  eth_feeHistory: rpcMethod([param.quantity('blockCount'), blockTag, param.raw], async ({ chain }, [blockCount, newestTag, rewardPercentiles]) => {
    const count = Number(blockCount);
    if (count < 1 || count > 1024) throw invalidParams('blockCount must be 1..1024');
    const newest = (await resolveBlock(chain, newestTag, false)).view.header.number;
    const percentiles = Array.isArray(rewardPercentiles) ? rewardPercentiles : undefined;
    const oldest = newest + 1n >= BigInt(count) ? newest + 1n - BigInt(count) : 0n;
    const ratios: number[] = [];
    for (let n = oldest; n <= newest; n++) {
      const h = (await chain.blockByNumber(n))!.header;
      ratios.push(Number(h.gasUsed) / Number(h.gasLimit));
    }
    return {
      oldestBlock: q(oldest), baseFeePerGas: [...ratios, 0].map(() => '0x0'), gasUsedRatio: ratios,
      baseFeePerBlobGas: [...ratios, 0].map(() => '0x0'), blobGasUsedRatio: ratios.map(() => 0),
      ...(percentiles ? { reward: ratios.map(() => percentiles.map(() => '0x0')) } : {}),
    };
  }),
  clique_getSigners: rpcMethod([], ({ chain }) => [chain.signer.toString()]),
  txpool_status: rpcMethod([], ({ chain }) => ({ pending: q(chain.pool.pendingCount), queued: q(chain.pool.queuedCount) })),
};
