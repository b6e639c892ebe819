/**
 * The chain engine of the embedded node: it opens (or creates) the chain in a store and wires
 * its parts — admission (admission.ts) into the pool (txPool.ts), sealing (sealer.ts), who may
 * send (permissioning.ts), block reads (blockReader.ts), state reads (stateReader.ts) and
 * eth_call workers (callPool.ts). JSON-RPC formatting lives in `rpc.ts` and `rpc/`.
 *
 * Built on the ethereumjs libraries: `@ethereumjs/vm` executes (its block builder runs each
 * transaction and seals with `createSealedCliqueBlock`), `@ethereumjs/statemanager` +
 * `@ethereumjs/mpt` hold state in a Merkle-Patricia trie over LevelDB (`store.ts`).
 */
import { EventEmitter } from 'node:events';
import type { Block, BlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { TypedTransaction } from '@ethereumjs/tx';
import { createAddressFromPrivateKey, hexToBytes, type Address } from '@ethereumjs/util';
import type { VM } from '@ethereumjs/vm';
import { MAX_TX_GAS, admit, admitRaw, type AdmissionRules } from './admission.ts';
import { BlockReader } from './blockReader.ts';
import { SealedBlockView, type SealedBlock } from './blockView.ts';
import { CallPool } from './callPool.ts';
import { createChainCommon } from './config.ts';
import { createGenesis, type GenesisAccount } from './genesis.ts';
import { AccountPermissioning, type Permissioning } from './permissioning.ts';
import { Sealer } from './sealer.ts';
import { StateReader } from './stateReader.ts';
import type { ChainStore } from './store.ts';
import { TxPool, type PoolTx } from './txPool.ts';
import type { Bytes, Hex } from './types.ts';
import { newVm, type VmSetup } from './vms.ts';
import type { ChainClock } from './chainClock.ts';

export interface ChainOptions {
  dataDir: string;
  chainId: number;
  authorityKey: Bytes;
  mode: 'dev' | 'production';
  /** Minimum time between two blocks while transactions wait. Dev: 0 (seal at once); production: 1000. */
  blockPeriodMs?: number;
  blockGasLimit?: bigint;
  genesisAlloc?: Record<string, GenesisAccount>;
  /** Applied when the chain is created; later changes go through the admin methods. */
  permissioning?: Permissioning;
  /** Unix seconds of the genesis block (default: now). */
  genesisTimestamp?: number;
  /** Per-transaction gas cap, enforced at admission (default: EIP-7825's 2^24). */
  maxTxGas?: bigint;
  /** Gas an eth_call / eth_estimateGas may use at most (geth --rpc.gascap; default 50M). */
  rpcGasCap?: bigint;
  /** Execution timeout of one eth_call / eth_estimateGas (geth --rpc.evmtimeout; default 5 s). */
  callTimeoutMs?: number;
  /** Call worker threads (default 2, at least 2). */
  callWorkers?: number;
  /** How long a transaction behind a nonce gap waits in the pool (default 3 h, as geth). */
  queueLifetimeMs?: number;
  /** Transactions the pool holds at most, pending and queued (default 100,000; geth's globalslots + globalqueue). */
  maxPoolSize?: number;
  /**
   * Contracts whose transactions are sealed first (the Consent contract: a patient's revocation
   * must not wait behind other traffic). Also settable later with `setPriorityTargets`.
   */
  priorityTargets?: Hex[];
  /** Execution time after which a block takes no more transactions (default 500 ms). */
  blockTimeBudgetMs?: number;
}

export class Chain extends EventEmitter {
  readonly common: Common;
  readonly signer: Address;
  readonly pool: TxPool;
  genesisHash!: Bytes;
  readonly blockGasLimit: bigint;
  readonly maxTxGas: bigint;
  readonly rpcGasCap: bigint;
  readonly blockTimeBudgetMs: number;
  /** eth_call / eth_estimateGas run here, in worker threads (see callPool.ts). */
  calls!: CallPool;
  private readonly blocks: BlockReader;
  private readonly accounts: AccountPermissioning;
  private readonly admission: AdmissionRules;
  private sealer!: Sealer;
  private state!: StateReader;
  private closed = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  private constructor(readonly store: ChainStore, readonly options: ChainOptions) {
    super();
    this.setMaxListeners(0);
    this.common = createChainCommon(options.chainId);
    this.signer = createAddressFromPrivateKey(options.authorityKey);
    this.blockGasLimit = options.blockGasLimit ?? 100_000_000n;
    this.maxTxGas = options.maxTxGas ?? (MAX_TX_GAS < this.blockGasLimit ? MAX_TX_GAS : this.blockGasLimit);
    this.rpcGasCap = options.rpcGasCap ?? 50_000_000n;
    this.blockTimeBudgetMs = options.blockTimeBudgetMs ?? 500;
    this.pool = new TxPool(options.queueLifetimeMs);
    this.blocks = new BlockReader(store, this.common);
    this.accounts = new AccountPermissioning(store, this.signer);
    this.admission = {
      common: this.common, mode: options.mode, pool: this.pool, blockGasLimit: this.blockGasLimit, maxTxGas: this.maxTxGas,
      maxPoolSize: options.maxPoolSize,
      closed: () => this.closed,
      isAllowed: (sender) => this.accounts.isAllowed(sender),
      account: (sender) => this.sealer.account(sender),
      isSealed: async (hash) => (await store.txLocation(hash)) !== undefined,
      expireQueued: () => this.expireQueued(),
      admitted: (hash) => { this.emit('pending', hash); this.sealer.schedule(); },
    };
    // Queued transactions expire even when nothing else happens (the sweep is cheap when empty).
    this.expiryTimer = setInterval(() => this.expireQueued(), Math.min(60_000, Math.max(1_000, this.pool.queueLifetimeMs / 4)));
    this.expiryTimer.unref();
  }

  private expireQueued() {
    for (const hash of this.pool.expire()) this.emit('dropped', hash, 'queued too long behind a nonce gap');
  }

  static async open(store: ChainStore, options: ChainOptions): Promise<Chain> {
    const chain = new Chain(store, options);
    await chain.init();
    return chain;
  }

  private async init() {
    const { store, options } = this;
    const config = await store.readConfig();
    let head: Block;
    if (config) {
      if (config.chainId !== options.chainId) {
        throw new Error(`data dir holds chain ${config.chainId}, not ${options.chainId}`);
      }
      if (config.signer.toLowerCase() !== this.signer.toString()) {
        throw new Error(`authority key does not match the chain's signer ${config.signer}`);
      }
      const number = await store.readHead();
      if (number === undefined) throw new Error('data dir has a config but no head block');
      head = (await this.blockByNumber(number))!.block();
      this.genesisHash = hexToBytes(config.genesisHash as Hex);
    } else {
      const { genesis, ops } = await createGenesis(store, this.common, {
        chainId: options.chainId, signer: this.signer, gasLimit: this.blockGasLimit,
        timestamp: options.genesisTimestamp ?? Math.floor(Date.now() / 1000),
        alloc: options.genesisAlloc ?? {}, permissioning: options.permissioning ?? { mode: 'open' },
      });
      await store.commit(ops);
      head = genesis;
      this.genesisHash = genesis.hash();
    }
    await this.accounts.load();
    const vms: VmSetup = { store, common: this.common, signer: this.signer, blockHash: async (n) => (await this.blockByNumber(n))!.hash };
    this.sealer = await Sealer.start({
      store, common: this.common, pool: this.pool, signer: this.signer, authorityKey: options.authorityKey, mode: options.mode,
      blockGasLimit: this.blockGasLimit, blockTimeBudgetMs: this.blockTimeBudgetMs,
      newVm: (root) => newVm(vms, root, true),
      sealed: (sealed: SealedBlock) => {
        this.blocks.remember(SealedBlockView.fromSealed(sealed, this.common));
        this.emit('block', sealed);
      },
      dropped: (hash, reason) => this.emit('dropped', hash, reason),
      failed: (e) => this.emit('error', e),
    }, head, options.blockPeriodMs ?? (options.mode === 'dev' ? 0 : 1000));
    this.sealer.setPriorityTargets(options.priorityTargets ?? []);
    this.state = new StateReader(await newVm(vms, head.header.stateRoot, true), head.header.stateRoot);
    const trieDb = store.trieDb();
    this.calls = new CallPool({
      chainId: options.chainId, signer: this.signer.toString() as Hex,
      readNode: async (k) => (await trieDb.get(k)) as Bytes | undefined,
      blockHash: async (n) => (await this.blockByNumber(n))?.hash,
      workers: options.callWorkers, timeoutMs: options.callTimeoutMs,
    });
  }

  /** The latest committed block. */
  get head(): Block { return this.sealer.head; }

  // ---------------------------------------------------------------- permissioning

  get permissioning(): 'open' | 'allowlist' { return this.accounts.mode; }
  isAllowed(address: string): boolean { return this.accounts.isAllowed(address); }
  setAllowed(addresses: string[], allowed: boolean): Promise<void> { return this.accounts.setAllowed(addresses, allowed); }
  allowlist(): string[] { return this.accounts.list(); }

  /** Transactions to these contracts go first into every block (see ChainOptions). */
  setPriorityTargets(addresses: string[]) { this.sealer.setPriorityTargets(addresses); }
  isPriority(entry: PoolTx): boolean { return this.sealer.isPriority(entry); }

  // ---------------------------------------------------------------- admission

  /** Validates a raw signed transaction against the head state and queues it. Returns its hash. */
  submitRaw(raw: Bytes): Promise<Hex> { return admitRaw(this.admission, raw); }
  /** Validates a signed transaction against the head state and queues it. Returns its hash. */
  submit(tx: TypedTransaction): Promise<Hex> { return admit(this.admission, tx); }

  async stateNonce(address: Address): Promise<bigint> { return (await this.sealer.account(address)).nonce; }

  // ---------------------------------------------------------------- sealing

  /** Minimum time between two blocks while transactions wait (a bench may change it on a running node). */
  get blockPeriodMs(): number { return this.sealer.blockPeriodMs; }
  set blockPeriodMs(ms: number) { this.sealer.blockPeriodMs = ms; }

  /** Dev-mode time control: seconds added to the wall clock, and the exact next timestamp. */
  /** Block timestamps; dev-mode time control (rpc/devTime.ts) moves it. */
  get clock(): ChainClock { return this.sealer.clock; }

  /** Seals a block soon if transactions wait. */
  scheduleSeal() { this.sealer.schedule(); }
  /** Seals one block now with the executable pending transactions (dev: `evm_mine`). */
  mine(timestamp?: bigint): Promise<SealedBlock> { return this.sealer.mine(timestamp); }
  nextBlockTimestamp(): bigint { return this.sealer.nextBlockTimestamp(); }
  /** A header for calls that run "in the pending block". */
  pendingBlock(): Block { return this.sealer.pendingBlock(); }

  // ---------------------------------------------------------------- reads

  blockByNumber(number: bigint): Promise<SealedBlockView | undefined> { return this.blocks.byNumber(number); }
  blockByHash(hash: Bytes): Promise<SealedBlockView | undefined> { return this.blocks.byHash(hash); }
  txByHash(hash: Bytes): Promise<{ view: SealedBlockView; index: number } | undefined> { return this.blocks.txByHash(hash); }
  /** State (account, code, storage) at a block. */
  withState<T>(header: BlockHeader, fn: (vm: VM) => Promise<T>): Promise<T> { return this.state.withState(header, fn); }

  async close() {
    this.closed = true;
    clearInterval(this.expiryTimer);
    await this.sealer?.close();
    await this.state?.close();
    await this.calls?.close();
  }
}
