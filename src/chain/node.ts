/**
 * `createNode`: MedChain's embedded Ethereum node, in-process (an EIP-1193 provider) and, with
 * `listen()`, as a JSON-RPC server over HTTP and WebSocket.
 *
 * @example
 * const node = await createNode({ dataDir: './data/chain', chainId: 1337, mode: 'dev' });
 * const client = createPublicClient({ transport: custom(node) });
 * const { httpUrl, wsUrl } = await node.listen({ port: 8545 });
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, bytesToHex } from '@ethereumjs/util';
import { keccak256, toHex, type EIP1193RequestFn } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { Chain } from './chain.ts';
import type { GenesisAccount } from './genesis.ts';
import type { Permissioning } from './permissioning.ts';
import type { Hex } from './types.ts';
import { RpcError } from './errors.ts';
import { handle, type RpcContext } from './rpc.ts';
import { startServer, type ServerHandle } from './server.ts';
import { ChainStore } from './store.ts';

/**
 * The authority (sealing) key: raw bytes / hex, or an encrypted JSON keystore together with the
 * function that decrypts it (MedChain's keystore module, src/crypto). The node keeps the
 * decrypted key in memory only.
 */
export type AuthorityKey =
  | Hex
  | Uint8Array
  | { keystore: unknown; password: string; decrypt: (keystore: unknown, password: string) => Promise<Hex | Uint8Array> };

export interface NodeOptions {
  dataDir: string;
  chainId?: number;
  /** Required in production; dev mode uses a fixed, publicly known dev key when omitted. */
  authorityKey?: AuthorityKey;
  mode?: 'dev' | 'production';
  blockPeriodMs?: number;
  blockGasLimit?: bigint;
  /** Per-transaction gas cap at admission (default 2^24, EIP-7825). */
  maxTxGas?: bigint;
  /** Gas cap of eth_call / eth_estimateGas (default 50M, as geth's --rpc.gascap). */
  rpcGasCap?: bigint;
  /** Execution timeout of eth_call / eth_estimateGas (default 5000 ms, as geth's --rpc.evmtimeout). */
  callTimeoutMs?: number;
  /** Worker threads for eth_call / eth_estimateGas (default 2). */
  callWorkers?: number;
  /** Contracts whose transactions are sealed first (the Consent contract); see Chain.setPriorityTargets. */
  priorityTargets?: Hex[];
  /** Execution time after which a block takes no more transactions (default 500 ms). */
  blockTimeBudgetMs?: number;
  /** Lifetime of transactions queued behind a nonce gap (default 3 h). */
  queueLifetimeMs?: number;
  /** Transactions the pool holds at most (default 100,000). */
  maxPoolSize?: number;
  genesisAlloc?: Record<string, GenesisAccount>;
  /** Default: 'open' in dev mode; in production an allowlist holding only the authority. */
  permissioning?: Permissioning;
  /** Dev mode: private keys that are funded at genesis and unlocked for eth_sendTransaction. */
  devAccounts?: Hex[];
  genesisTimestamp?: number;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Serve the perm_* admin methods on this endpoint too (default false). */
  admin?: boolean;
}

export interface MedChainNode {
  /** In-process callers (the gateway's own reads): their calls go first (see callPool.ts). */
  request: EIP1193RequestFn;
  /**
   * The same methods for requests relayed from untrusted clients (the gateway's `/rpc`): calls
   * in the public lane, like the HTTP/WS endpoint's.
   */
  publicRequest: EIP1193RequestFn;
  listen(options?: ListenOptions): Promise<ServerHandle>;
  close(): Promise<void>;
  /** The engine, for benchmarks and tests that need it directly. */
  chain: Chain;
  devAccounts: Hex[];
}

/** Well-known dev keys: deterministic, never for real value (like Hardhat's). */
export const DEV_AUTHORITY_KEY: Hex = keccak256(toHex('medchain-dev-authority'));
export const DEV_ACCOUNT_KEYS: Hex[] = Array.from({ length: 10 }, (_, i) => keccak256(toHex(`medchain-dev-account-${i}`)));
export const DEV_BALANCE = 10n ** 24n;

async function resolveKey(key: AuthorityKey | undefined, mode: 'dev' | 'production'): Promise<Uint8Array> {
  if (key === undefined) {
    if (mode === 'production') throw new Error('production mode needs an authority key (keystore)');
    return hexToBytes(DEV_AUTHORITY_KEY);
  }
  let raw: Hex | Uint8Array;
  if (typeof key === 'string' || key instanceof Uint8Array) raw = key;
  else raw = await key.decrypt(key.keystore, key.password);
  const bytes = typeof raw === 'string' ? hexToBytes(raw) : raw;
  if (bytes.length !== 32) throw new Error('authority key must be 32 bytes');
  return bytes;
}

export async function createNode(options: NodeOptions): Promise<MedChainNode> {
  const mode = options.mode ?? 'production';
  if (mode !== 'dev' && mode !== 'production') throw new Error(`unknown mode ${String(mode)}`);
  const authorityKey = await resolveKey(options.authorityKey, mode);
  const devAccounts = mode === 'dev' ? (options.devAccounts ?? DEV_ACCOUNT_KEYS) : [];
  const genesisAlloc: Record<string, GenesisAccount> = {};
  for (const k of devAccounts) genesisAlloc[privateKeyToAddress(k).toLowerCase()] = { balance: DEV_BALANCE };
  Object.assign(genesisAlloc, options.genesisAlloc ?? {});
  mkdirSync(options.dataDir, { recursive: true });
  const store = await ChainStore.open(join(options.dataDir, 'chaindata'));
  let chain: Chain;
  try {
    chain = await Chain.open(store, {
      dataDir: options.dataDir,
      chainId: options.chainId ?? 1337,
      authorityKey,
      mode,
      blockPeriodMs: options.blockPeriodMs,
      blockGasLimit: options.blockGasLimit,
      maxTxGas: options.maxTxGas,
      queueLifetimeMs: options.queueLifetimeMs,
      maxPoolSize: options.maxPoolSize,
      rpcGasCap: options.rpcGasCap,
      callTimeoutMs: options.callTimeoutMs,
      callWorkers: options.callWorkers,
      priorityTargets: options.priorityTargets,
      blockTimeBudgetMs: options.blockTimeBudgetMs,
      genesisAlloc,
      permissioning: options.permissioning ?? (mode === 'dev' ? { mode: 'open' } : { mode: 'allowlist', accounts: [] }),
      genesisTimestamp: options.genesisTimestamp,
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  chain.on('error', (e: Error) => {
    // Sealing failures are logged without transaction contents (no personal data in logs).
    console.error(`[medchain-node] sealing failed: ${e.message}`);
  });
  const devKeys = new Map(devAccounts.map((k) => [privateKeyToAddress(k).toLowerCase(), k] as const));
  const ctx: RpcContext = { chain, mode, devKeys, admin: true, lane: 'trusted' };
  const publicCtx: RpcContext = { ...ctx, admin: false, lane: 'public' };
  const servers = new Set<ServerHandle>();

  const requestIn = (context: RpcContext) => (async ({ method, params }: { method: string; params?: unknown }) => {
    if (typeof method !== 'string') throw new RpcError(-32600, 'method must be a string');
    return handle(context, method, params);
  }) as EIP1193RequestFn;
  const request = requestIn(ctx);

  let closed = false;
  return {
    request,
    publicRequest: requestIn(publicCtx),
    chain,
    devAccounts: [...devAccounts],
    async listen(listenOptions: ListenOptions = {}) {
      const server = await startServer({ ...ctx, admin: listenOptions.admin ?? false, lane: 'public' }, listenOptions.host ?? '127.0.0.1', listenOptions.port ?? 8545);
      servers.add(server);
      const close = server.close;
      return { ...server, close: async () => { servers.delete(server); await close(); } };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of [...servers]) await s.close();
      await chain.close();
      await store.close();
    },
  };
}

export { bytesToHex };
