/**
 * EDR (`@nomicfoundation/edr`, the Rust EVM inside Hardhat) as an in-process EIP-1193 provider.
 * It is MedChain's second, independent EVM engine: contract tests run on it, and the
 * engine-independence suite runs the same scenarios on it and on the embedded node.
 */
import { CANCUN, EdrContext, MineOrdering, l1GenesisState, l1HardforkFromString, l1ProviderFactory, ContractDecoder, type Provider } from '@nomicfoundation/edr';
import { createWalletClient, custom, hexToBytes, type EIP1193RequestFn, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';

let context: { edr: EdrContext; ready: Promise<void> } | undefined;
function edrContext() {
  // EdrContext must be constructed once per process.
  if (!context) {
    const edr = new EdrContext();
    context = { edr, ready: edr.registerProviderFactory('L1', l1ProviderFactory()) };
  }
  return context;
}

export interface EdrProviderOptions {
  chainId?: number;
  /** Funded accounts: secret keys as 0x-hex. */
  accounts: readonly Hex[];
  /** Block producer address (`block.coinbase`). */
  coinbase?: Hex;
  hardfork?: string;
  /** Unix seconds of the first block after genesis. */
  initialTimestamp?: bigint;
}

export interface Eip1193Provider { request: EIP1193RequestFn }

/** JSON-RPC error as returned by EDR, rethrown so that viem maps it (reverts carry `data`). */
export class EdrRpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) { super(message); }
}

export async function createEdrProvider(options: EdrProviderOptions): Promise<Eip1193Provider & { edr: Provider }> {
  const { edr, ready } = edrContext();
  await ready;
  const hardfork = options.hardfork ?? CANCUN;
  const genesis = l1GenesisState(l1HardforkFromString(hardfork));
  const provider = await edr.createProvider('L1', {
    allowBlocksWithSameTimestamp: false,
    allowUnlimitedContractSize: false,
    bailOnCallFailure: true, // eth_call reverts are errors (with the revert data), as on geth and Besu
    bailOnTransactionFailure: false,
    chainId: BigInt(options.chainId ?? 31337),
    coinbase: hexToBytes(options.coinbase ?? '0x0000000000000000000000000000000000000000'),
    defaultTransactionGasLimit: 30_000_000n,
    genesisState: [
      ...genesis,
      ...options.accounts.map((key) => ({ address: hexToBytes(addressOfKey(key)), balance: 10n ** 24n })),
    ],
    hardfork,
    initialBaseFeePerGas: 0n,
    minGasPrice: 0n,
    mining: { autoMine: true, blockGasLimit: 60_000_000n, memPool: { order: MineOrdering.Fifo } },
    network: { genesisBlockGasLimit: 60_000_000n, genesisBlockTime: options.initialTimestamp },
    networkId: BigInt(options.chainId ?? 31337),
    observability: {},
    ownedAccounts: [...options.accounts],
    precompileOverrides: [],
  }, {
    enable: false,
    decodeConsoleLogInputsCallback: () => [],
    printLineCallback: () => {},
  }, { subscriptionCallback: () => {} }, new ContractDecoder());

  let id = 0;
  const request: EIP1193RequestFn = (async ({ method, params }: { method: string; params?: unknown }) => {
    const response = await provider.handleRequest(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }));
    const data = typeof response.data === 'string' ? JSON.parse(response.data) : response.data;
    if (data.error) {
      // EDR reports reverts as -32000 with `{ data: '0x…' }`; clients (viem, ethers) expect the
      // geth convention — code 3, "execution reverted", the revert bytes as `data` — to decode custom errors.
      const revertData = data.error.data?.data;
      if (typeof revertData === 'string' && revertData.startsWith('0x') && data.error.data?.reason?.Revert !== undefined) {
        throw new EdrRpcError(3, 'execution reverted', revertData);
      }
      throw new EdrRpcError(data.error.code, data.error.message, data.error.data);
    }
    return data.result;
  }) as EIP1193RequestFn;
  return { request, edr: provider };
}

function addressOfKey(key: Hex): Hex { return privateKeyToAddress(key); }

/** A viem wallet client over an EDR provider, for quick scripts. */
export function edrWalletClient(provider: Eip1193Provider) {
  return createWalletClient({ transport: custom(provider) });
}
