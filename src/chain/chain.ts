/**
 * The chain engine of the embedded node: genesis, transaction admission, proof-of-authority
 * sealing (Clique header format, EIP-225), durable commit of each block, and read access to
 * blocks, receipts, logs and state. JSON-RPC formatting lives in `rpc.ts`.
 *
 * Built on the ethereumjs libraries: `@ethereumjs/vm` executes (its block builder runs each
 * transaction and seals with `createSealedCliqueBlock`), `@ethereumjs/statemanager` +
 * `@ethereumjs/mpt` hold state in a Merkle-Patricia trie over LevelDB (`store.ts`).
 */
import { EventEmitter } from 'node:events';
import { createBlock, createBlockFromBytesArray, createBlockFromRLP, createBlockHeaderFromBytesArray, type Block, type BlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { Caches } from '@ethereumjs/statemanager';
import { Capability, TransactionType, createTxFromBlockBodyData, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import {
  Account, Address, KECCAK256_RLP, bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, concatBytes, createAccount,
  createAddressFromPrivateKey, createAddressFromString, equalsBytes, hexToBytes, setLengthLeft, type PrefixedHexString,
} from '@ethereumjs/util';
import { buildBlock, createVM, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import type { Log } from '@ethereumjs/evm';
import { CLIQUE_EPOCH, createChainCommon } from './config.ts';
import { CallPool } from './callPool.ts';
import { ErrorCode, RpcError, serverError } from './errors.ts';
import { orderedTrieRoot } from './orderedTrie.ts';
import { CachedMerkleStateManager } from './stateManager.ts';
import { EMPTY, P, key, u64, ChainStore, type StoreOp } from './store.ts';
import { MAX_NONCE_AHEAD, MAX_POOL_SIZE, MAX_QUEUED, MAX_QUEUED_PER_SENDER, TxPool, type PoolTx } from './txPool.ts';

export type Hex = `0x${string}`;
type Bytes = Uint8Array;

export interface GenesisAccount { balance?: bigint | Hex; nonce?: bigint | Hex; code?: Hex; storage?: Record<Hex, Hex> }

/** Who may send transactions (Besu-style account permissioning). */
export type Permissioning = { mode: 'open' } | { mode: 'allowlist'; accounts?: Hex[] };

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
  /**
   * Contracts whose transactions are sealed first (the Consent contract: a patient's revocation
   * must not wait behind other traffic). Also settable later with `setPriorityTargets`.
   */
  priorityTargets?: Hex[];
  /** Execution time after which a block takes no more transactions (default 500 ms). */
  blockTimeBudgetMs?: number;
}

/** EIP-7825 (Osaka): a transaction's gas limit is capped at 2^24, as geth and Besu enforce. */
export const MAX_TX_GAS = 16_777_216n;
/** geth's txMaxSize: 4 slots of 32 KiB; larger transactions are "oversized data". */
export const MAX_TX_BYTES = 128 * 1024;

/** Receipt as stored: everything a JSON-RPC receipt needs that the block does not hold. */
export interface StoredReceipt {
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  contractAddress?: Bytes;
  logs: Log[];
  from: Bytes;
  /** Stored with the receipt so that receipts and logs are served without decoding the block. */
  txHash: Bytes;
}

export interface SealedBlock { block: Block; receipts: StoredReceipt[]; hashes: Bytes[]; rlp?: Bytes }

export const VANITY = new Uint8Array(32);
const SEAL = new Uint8Array(65);
const ZERO_ADDRESS = new Address(new Uint8Array(20));
const MAX_CACHED_TXS = 20_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Serializes async work (sealing; use of the call VM). */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => {});
    return next;
  }
}

export function encodeReceipts(receipts: StoredReceipt[]): Bytes {
  return RLP.encode(receipts.map((r) => [
    r.status === 1 ? Uint8Array.of(1) : EMPTY,
    bigIntToUnpaddedBytes(r.cumulativeGasUsed),
    bigIntToUnpaddedBytes(r.gasUsed),
    r.contractAddress ?? EMPTY,
    r.logs,
    r.from,
    r.txHash,
  ]));
}

export function decodeReceipts(bytes: Bytes): StoredReceipt[] {
  const list = RLP.decode(bytes) as unknown as [Bytes, Bytes, Bytes, Bytes, Log[], Bytes, Bytes][];
  return list.map(([status, cumulative, gasUsed, contract, logs, from, txHash]) => ({
    status: status.length ? 1 : 0,
    cumulativeGasUsed: bytesToBigInt(cumulative),
    gasUsed: bytesToBigInt(gasUsed),
    contractAddress: contract.length ? contract : undefined,
    logs,
    from,
    txHash,
  }));
}

export class Chain extends EventEmitter {
  readonly common: Common;
  readonly signer: Address;
  readonly pool: TxPool;
  head!: Block;
  genesisHash!: Bytes;
  permissioning: 'open' | 'allowlist' = 'open';
  private allowed = new Set<string>();
  private sealVm!: VM;
  private callVm!: VM;
  private callRoot: Bytes | undefined;
  private readonly sealLock = new Lock();
  private readonly callLock = new Lock();
  private sealTimer: NodeJS.Timeout | undefined;
  private sealing = false;
  private lastSealAt = 0;
  private sealFailures = 0;
  private closed = false;
  /** Dev-mode time control (seconds added to the wall clock; exact next timestamp). */
  timeOffset = 0;
  nextTimestamp: bigint | undefined;
  readonly blockPeriodMs: number;
  readonly blockGasLimit: bigint;
  readonly maxTxGas: bigint;
  readonly rpcGasCap: bigint;
  readonly blockTimeBudgetMs: number;
  private priorityTargets = new Set<string>();
  /** eth_call / eth_estimateGas run here, in worker threads (see callPool.ts). */
  calls!: CallPool;
  private expiryTimer: NodeJS.Timeout | undefined;
  private blockCache = new Map<bigint, SealedBlockView>();
  private cachedTxs = 0;

  private constructor(readonly store: ChainStore, readonly options: ChainOptions) {
    super();
    this.setMaxListeners(0);
    this.common = createChainCommon(options.chainId);
    this.signer = createAddressFromPrivateKey(options.authorityKey);
    this.blockPeriodMs = options.blockPeriodMs ?? (options.mode === 'dev' ? 0 : 1000);
    this.blockGasLimit = options.blockGasLimit ?? 100_000_000n;
    this.maxTxGas = options.maxTxGas ?? (MAX_TX_GAS < this.blockGasLimit ? MAX_TX_GAS : this.blockGasLimit);
    this.rpcGasCap = options.rpcGasCap ?? 50_000_000n;
    this.blockTimeBudgetMs = options.blockTimeBudgetMs ?? 500;
    this.setPriorityTargets(options.priorityTargets ?? []);
    this.pool = new TxPool(options.queueLifetimeMs);
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

  private newStateManager(root: Bytes | undefined, caches: boolean) {
    const trie = new MerklePatriciaTrie({
      db: this.store.trieDb(), useKeyHashing: true, valueEncoding: 'view', cacheSize: 50_000, common: this.common,
      ...(root ? { root } : {}),
    });
    return new CachedMerkleStateManager({ trie, common: this.common, ...(caches ? { caches: new Caches() } : {}) });
  }

  private async newVm(root: Bytes, caches: boolean): Promise<VM> {
    const signer = this.signer;
    const byNumber = (n: bigint) => this.blockByNumber(n);
    const blockchain = {
      async getBlock(n: number) { const view = (await byNumber(BigInt(n)))!; return { hash: () => view.hash }; },
      async putBlock() {},
      shallowCopy() { return blockchain; },
    };
    return createVM({
      common: this.common,
      stateManager: this.newStateManager(root, caches),
      blockchain,
      // COINBASE in a Clique chain is the block's signer, as in geth.
      evmOpts: { cliqueSigner: () => signer },
    });
  }

  private async init() {
    const config = await this.store.readConfig();
    if (config) {
      if (config.chainId !== this.options.chainId) {
        throw new Error(`data dir holds chain ${config.chainId}, not ${this.options.chainId}`);
      }
      if (config.signer.toLowerCase() !== this.signer.toString()) {
        throw new Error(`authority key does not match the chain's signer ${config.signer}`);
      }
      const number = await this.store.readHead();
      if (number === undefined) throw new Error('data dir has a config but no head block');
      this.head = (await this.blockByNumber(number))!.block();
      this.genesisHash = hexToBytes(config.genesisHash as Hex);
      await this.loadAllowlist();
    } else {
      await this.createGenesis();
    }
    this.sealVm = await this.newVm(this.head.header.stateRoot, true);
    this.lastSealAt = Date.now();
    this.callVm = await this.newVm(this.head.header.stateRoot, true);
    this.callRoot = this.head.header.stateRoot;
    const trieDb = this.store.trieDb();
    this.calls = new CallPool({
      chainId: this.options.chainId, signer: this.signer.toString() as Hex,
      readNode: async (k) => (await trieDb.get(k)) as Bytes | undefined,
      blockHash: async (n) => (await this.blockByNumber(n))?.hash,
      workers: this.options.callWorkers, timeoutMs: this.options.callTimeoutMs,
    });
  }

  private async loadAllowlist() {
    const list = await this.store.allowlist();
    const mode = await this.store.get(key(P.config, new TextEncoder().encode('permissioning')));
    this.permissioning = mode && new TextDecoder().decode(mode) === 'allowlist' ? 'allowlist' : 'open';
    this.allowed = new Set(list);
  }

  private async createGenesis() {
    const sm = this.newStateManager(undefined, false);
    await sm.checkpoint();
    for (const [address, account] of Object.entries(this.options.genesisAlloc ?? {})) {
      const addr = createAddressFromString(address);
      await sm.putAccount(addr, createAccount({ balance: BigInt(account.balance ?? 0), nonce: BigInt(account.nonce ?? 0) }));
      if (account.code) await sm.putCode(addr, hexToBytes(account.code));
      for (const [slot, value] of Object.entries(account.storage ?? {})) {
        await sm.putStorage(addr, setLengthLeft(hexToBytes(slot as Hex), 32), hexToBytes(value as Hex));
      }
    }
    await sm.commit();
    const stateRoot = await sm.getStateRoot();
    const genesis = createBlock({
      header: {
        number: 0n, stateRoot, gasLimit: this.blockGasLimit, difficulty: 1n,
        timestamp: BigInt(this.options.genesisTimestamp ?? nowSeconds()),
        // EIP-225: the genesis extraData lists the initial signers between vanity and seal.
        extraData: concatBytes(VANITY, this.signer.bytes, SEAL),
        baseFeePerGas: 0n, excessBlobGas: 0n, blobGasUsed: 0n, parentBeaconBlockRoot: new Uint8Array(32),
        withdrawalsRoot: KECCAK256_RLP,
      },
      withdrawals: [],
    }, { common: this.common });
    this.genesisHash = genesis.hash();
    const perm = this.options.permissioning ?? { mode: 'open' };
    const ops: StoreOp[] = [
      ...this.blockOps({ block: genesis, receipts: [], hashes: [] }),
      this.store.configOp({ chainId: this.options.chainId, signer: this.signer.toString(), genesisHash: bytesToHex(genesis.hash()), createdAt: new Date().toISOString() }),
      { type: 'put', key: key(P.config, new TextEncoder().encode('permissioning')), value: new TextEncoder().encode(perm.mode) },
      ...(perm.mode === 'allowlist' ? [this.signer.toString(), ...(perm.accounts ?? [])] : []).map((a): StoreOp => ({ type: 'put', key: key(P.allow, hexToBytes(a.toLowerCase() as Hex)), value: EMPTY })),
    ];
    await this.store.commit(ops);
    this.head = genesis;
    await this.loadAllowlist();
  }

  // ---------------------------------------------------------------- permissioning

  isAllowed(address: string): boolean {
    return this.permissioning === 'open' || this.allowed.has(address.toLowerCase()) || address.toLowerCase() === this.signer.toString();
  }
  async setAllowed(addresses: string[], allowed: boolean) {
    const list = addresses.map((a) => a.toLowerCase());
    await this.store.setAllowed(list, allowed);
    for (const a of list) { if (allowed) this.allowed.add(a); else this.allowed.delete(a); }
  }
  allowlist(): string[] { return [...this.allowed]; }

  /** Transactions to these contracts go first into every block (see ChainOptions). */
  setPriorityTargets(addresses: string[]) {
    this.priorityTargets = new Set(addresses.map((a) => a.toLowerCase()));
  }
  isPriority(entry: PoolTx): boolean {
    return entry.tx.to !== undefined && this.priorityTargets.has(entry.tx.to.toString());
  }

  // ---------------------------------------------------------------- admission

  /** Validates a signed transaction against the head state and queues it. Returns its hash. */
  async submitRaw(raw: Bytes): Promise<Hex> {
    if (this.closed) throw serverError('node is shutting down');
    if (raw.length > MAX_TX_BYTES) throw serverError(`oversized data: transaction size ${raw.length}, limit ${MAX_TX_BYTES}`);
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common: this.common });
    } catch (e) {
      const message = (e as Error).message;
      if (/chain ?id/i.test(message)) throw serverError('invalid chain id for signer');
      // ethereumjs refuses these while decoding; geth's ErrTipAboveFeeCap text is what tools match.
      if (message.includes('maxFeePerGas cannot be less than maxPriorityFeePerGas')) throw serverError('max priority fee per gas higher than max fee per gas');
      throw serverError(`invalid transaction: ${message.split('\n')[0]!.slice(0, 200)}`);
    }
    return this.submit(tx);
  }

  async submit(tx: TypedTransaction): Promise<Hex> {
    if (tx.type === TransactionType.BlobEIP4844) throw serverError('blob transactions are not supported');
    if (!tx.isSigned()) throw serverError('transaction is not signed');
    if (tx.type === TransactionType.Legacy && !tx.supports(Capability.EIP155ReplayProtection) && this.options.mode !== 'dev') {
      throw serverError('only replay-protected (EIP-155) transactions allowed over RPC');
    }
    let sender: Address;
    try {
      // Recovers the sender once; ethereumjs caches the public key on the tx object, so the
      // block builder does not recover it again.
      sender = tx.getSenderAddress();
    } catch {
      throw serverError('invalid sender: bad signature');
    }
    const hash = bytesToHex(tx.hash());
    if (this.pool.byHash.has(hash)) throw serverError('already known');
    const senderHex = sender.toString();
    if (!this.isAllowed(senderHex)) throw new RpcError(ErrorCode.notAuthorized, 'sender account not authorized to send transactions');
    if (tx.serialize().length > MAX_TX_BYTES) throw serverError(`oversized data: transaction size ${tx.serialize().length}, limit ${MAX_TX_BYTES}`);
    if (tx.gasLimit > this.blockGasLimit) throw serverError('exceeds block gas limit');
    // geth's wording for the EIP-7825 cap (core.ErrGasLimitTooHigh).
    if (tx.gasLimit > this.maxTxGas) throw serverError(`transaction gas limit too high (cap: ${this.maxTxGas}, tx: ${tx.gasLimit})`);
    if (tx.gasLimit < tx.getIntrinsicGas()) throw serverError('intrinsic gas too low');
    const account = (await this.sealVm.stateManager.getAccount(sender)) ?? new Account();
    if (tx.nonce < account.nonce) {
      // A sealed transaction sent again is "already known"; anything else below the nonce is stale.
      throw serverError((await this.store.txLocation(tx.hash())) ? 'already known' : 'nonce too low');
    }
    if (tx.nonce > account.nonce + MAX_NONCE_AHEAD) throw serverError('nonce too high');
    const maxFee = 'maxFeePerGas' in tx ? (tx.maxFeePerGas as bigint) : (tx as unknown as { gasPrice: bigint }).gasPrice;
    if (account.balance < tx.gasLimit * maxFee + tx.value) throw serverError('insufficient funds for gas * price + value');
    const existing = this.pool.get(senderHex, tx.nonce);
    if (existing) {
      const oldFee = 'maxFeePerGas' in existing.tx ? (existing.tx.maxFeePerGas as bigint) : (existing.tx as unknown as { gasPrice: bigint }).gasPrice;
      // geth's rule: a replacement must raise the fee by 10%; with free gas nothing can, so
      // a queued nonce is final (replacements of 0-fee transactions are refused).
      if (maxFee === 0n || maxFee * 10n < oldFee * 11n) throw serverError('replacement transaction underpriced');
    }
    if (this.pool.size >= MAX_POOL_SIZE) throw serverError('txpool is full');
    if (!existing && tx.nonce > this.pool.pendingNonce(senderHex, account.nonce)) {
      // Behind a nonce gap: queued, not executable; bounded so gaps cannot fill the pool.
      this.expireQueued();
      if (this.pool.queuedOf(senderHex) >= MAX_QUEUED_PER_SENDER) {
        throw serverError(`account limit exceeded: ${MAX_QUEUED_PER_SENDER} transactions of this sender already wait for nonce ${this.pool.pendingNonce(senderHex, account.nonce)}`);
      }
      if (this.pool.queuedCount >= MAX_QUEUED) throw serverError('txpool is full');
    }
    this.pool.add(tx, hash, sender, account.nonce);
    this.emit('pending', hash);
    this.scheduleSeal();
    return hash as Hex;
  }

  async stateNonce(address: Address): Promise<bigint> {
    return ((await this.sealVm.stateManager.getAccount(address)) ?? new Account()).nonce;
  }

  // ---------------------------------------------------------------- sealing

  /** Seals a block soon if transactions wait. */
  scheduleSeal() {
    // Only executable transactions make a block: a nonce gap alone never does (no empty blocks).
    if (this.closed || this.sealing || this.sealTimer || this.pool.pendingCount === 0) return;
    // After a failed seal (e.g. disk full) retry with a growing pause instead of spinning.
    let delay = this.lastSealAt + this.blockPeriodMs + Math.min(this.sealFailures * 500, 10_000) - Date.now();
    if (this.options.mode === 'production') {
      // Clique timestamps are whole seconds and strictly increasing: wait for the next second.
      delay = Math.max(delay, Number(this.head.header.timestamp + 1n) * 1000 - Date.now());
    }
    this.sealTimer = setTimeout(() => {
      this.sealTimer = undefined;
      this.sealing = true;
      this.sealLock.run(() => this.sealBlock()).then(() => { this.sealFailures = 0; }, (e) => {
        this.sealFailures++;
        this.lastSealAt = Date.now();
        this.emit('error', e);
      }).finally(() => {
        this.sealing = false;
        this.scheduleSeal();
      });
    }, Math.max(0, delay));
  }

  /** Seals one block now with the executable pending transactions (dev: `evm_mine`). */
  mine(timestamp?: bigint): Promise<SealedBlock> {
    return this.sealLock.run(() => this.sealBlock(timestamp));
  }

  nextBlockTimestamp(): bigint {
    if (this.nextTimestamp !== undefined) return this.nextTimestamp;
    const now = BigInt(nowSeconds() + this.timeOffset);
    const min = this.head.header.timestamp + 1n;
    return now > min ? now : min;
  }

  private cliqueExtraData(number: bigint): Bytes {
    return number % BigInt(CLIQUE_EPOCH) === 0n ? concatBytes(VANITY, this.signer.bytes, SEAL) : concatBytes(VANITY, SEAL);
  }

  private async sealBlock(timestamp?: bigint): Promise<SealedBlock> {
    if (this.closed) throw serverError('node is shutting down');
    const parent = this.head;
    const number = parent.header.number + 1n;
    const ts = timestamp ?? this.nextBlockTimestamp();
    const vm = this.sealVm;
    const candidates = await this.pool.executable((a) => this.stateNonce(a), (e) => this.isPriority(e));
    const builder = await buildBlock(vm, {
      parentBlock: parent,
      headerData: {
        number, timestamp: ts, gasLimit: this.blockGasLimit,
        difficulty: 2n, // EIP-225: in-turn signer (a single authority is always in turn)
        coinbase: ZERO_ADDRESS.bytes, nonce: new Uint8Array(8), extraData: this.cliqueExtraData(number),
        baseFeePerGas: 0n, // private network: zero base fee (see docs/chain.md)
        parentBeaconBlockRoot: new Uint8Array(32),
      },
      withdrawals: [],
      blockOpts: { cliqueSigner: this.options.authorityKey, putBlockIntoBlockchain: false, common: this.common },
    });
    const included: PoolTx[] = [];
    const skipSender = new Set<string>();
    // The stock BlockBuilder.addTransaction rebuilds a Block holding ALL transactions so far
    // before each run (O(n^2) re-decoding of transactions: 60% of sealing time at 100+ tx per
    // block). We run each transaction with runTx against one context block instead and record the
    // results in the builder, whose build() then computes the tries, bloom, state root and seal.
    const b = builder as unknown as BuilderInternals;
    const context = createBlock({ header: { ...b.headerData, gasUsed: 0n } }, { common: this.common });
    try {
      if (!b.checkpointed) {
        await vm.evm.journal.checkpoint();
        b.checkpointed = true;
      }
      const started = Date.now();
      for (const entry of candidates) {
        // Bounded block time: the rest waits for the next block (consent transactions came first).
        if (included.length > 0 && Date.now() - started > this.blockTimeBudgetMs) break;
        if (skipSender.has(entry.senderHex)) continue;
        if (entry.tx.gasLimit > this.blockGasLimit - b.gasUsed) { skipSender.add(entry.senderHex); continue; }
        try {
          const result = await runTx(vm, { tx: entry.tx, block: context, blockGasUsed: b.gasUsed });
          b.transactions.push(entry.tx);
          b.transactionResults.push(result);
          b.gasUsed += result.blockGasSpent;
          included.push(entry);
        } catch (e) {
          // Became invalid since admission (e.g. balance spent by an earlier tx): drop it.
          this.pool.remove(entry);
          skipSender.add(entry.senderHex);
          this.emit('dropped', entry.hash, (e as Error).message);
        }
      }
      // Same roots as the builder's own MPT-based ones, built in one pass (see orderedTrie.ts).
      b.transactionsTrie = async () => orderedTrieRoot(b.transactions.map((t) => t.serialize()));
      b.receiptTrie = async () => orderedTrieRoot(b.transactionResults.map((r, i) => encodeReceipt(r.receipt, b.transactions[i]!.type)));
      const { block } = await builder.build();
      const results = b.transactionResults;
      const receipts = results.map((r, i): StoredReceipt => ({
        status: (r.receipt as { status?: 0 | 1 }).status ?? 1,
        cumulativeGasUsed: r.receipt.cumulativeBlockGasUsed,
        gasUsed: r.totalGasSpent,
        contractAddress: r.createdAddress?.bytes,
        logs: r.receipt.logs,
        from: included[i]!.sender.bytes,
        txHash: included[i]!.tx.hash(),
      }));
      const sealed: SealedBlock = { block, receipts, hashes: included.map((e) => e.tx.hash()), rlp: block.serialize() };
      await this.store.commit(this.blockOps(sealed));
      this.head = block;
      this.lastSealAt = Date.now();
      if (timestamp === undefined) this.nextTimestamp = undefined;
      const nextNonce = new Map<string, bigint>();
      for (const entry of included) { this.pool.remove(entry); nextNonce.set(entry.senderHex, entry.tx.nonce + 1n); }
      for (const [sender, nonce] of nextNonce) this.pool.setBase(sender, nonce);
      this.cacheBlock(SealedBlockView.fromSealed(sealed, this.common));
      this.emit('block', sealed);
      return sealed;
    } catch (e) {
      // Nothing was committed: reset the sealing state to the head.
      this.store.discardPending();
      this.sealVm = await this.newVm(this.head.header.stateRoot, true);
      throw e;
    }
  }

  private blockOps({ block, receipts, hashes, rlp }: SealedBlock): StoreOp[] {
    const n = u64(block.header.number);
    const ops: StoreOp[] = [
      { type: 'put', key: key(P.block, n), value: rlp ?? block.serialize() },
      { type: 'put', key: key(P.hash, block.hash()), value: n },
      { type: 'put', key: key(P.receipts, n), value: encodeReceipts(receipts) },
    ];
    hashes.forEach((h, i) => {
      const loc = new Uint8Array(12);
      loc.set(n);
      new DataView(loc.buffer).setUint32(8, i);
      ops.push({ type: 'put', key: key(P.tx, h), value: loc });
    });
    const seen = new Set<string>();
    for (const r of receipts) {
      for (const [address, topics] of r.logs) {
        for (const [prefix, k] of [[P.logAddress, address] as const, ...topics.map((t) => [P.logTopic, t] as const)]) {
          const id = `${prefix}${bytesToHex(k)}`;
          if (seen.has(id)) continue;
          seen.add(id);
          ops.push({ type: 'put', key: key(prefix, k, n), value: EMPTY });
        }
      }
    }
    ops.push(this.store.headOp(block.header.number));
    return ops;
  }

  // ---------------------------------------------------------------- reads

  private cacheBlock(view: SealedBlockView) {
    this.blockCache.set(view.header.number, view);
    this.cachedTxs += view.hashes.length;
    // Bounded by transactions, not blocks: big blocks hold thousands of decoded transactions.
    while (this.blockCache.size > 1 && (this.blockCache.size > 256 || this.cachedTxs > MAX_CACHED_TXS)) {
      const [oldest, evicted] = this.blockCache.entries().next().value!;
      this.blockCache.delete(oldest);
      this.cachedTxs -= evicted.hashes.length;
    }
    return view;
  }

  async blockByNumber(number: bigint): Promise<SealedBlockView | undefined> {
    const hit = this.blockCache.get(number);
    if (hit) return hit;
    const rlp = await this.store.blockRlp(number);
    if (!rlp) return undefined;
    // Header and receipts only; transactions are decoded one by one when asked for (a block
    // can hold thousands, and logs/receipt queries need none or one of them).
    const [headerFields, txs] = RLP.decode(rlp) as unknown as [Bytes[], (Bytes | Bytes[])[]];
    const header = createBlockHeaderFromBytesArray(headerFields as never, { common: this.common });
    const receiptsRlp = await this.store.receiptsRlp(number);
    const receipts = receiptsRlp ? decodeReceipts(receiptsRlp) : [];
    return this.cacheBlock(new SealedBlockView(header, receipts, { rlp, rawTxs: txs, common: this.common }));
  }

  async blockByHash(hash: Bytes): Promise<SealedBlockView | undefined> {
    const n = await this.store.numberOfHash(hash);
    return n === undefined ? undefined : this.blockByNumber(n);
  }

  async txByHash(hash: Bytes): Promise<{ view: SealedBlockView; index: number } | undefined> {
    const loc = await this.store.txLocation(hash);
    if (!loc) return undefined;
    const view = await this.blockByNumber(loc.number);
    return view ? { view, index: loc.index } : undefined;
  }

  /** State (account, code, storage) at a block; uses the call VM's state manager. */
  async withState<T>(header: BlockHeader, fn: (vm: VM) => Promise<T>): Promise<T> {
    return this.callLock.run(async () => {
      if (!this.callRoot || !equalsBytes(this.callRoot, header.stateRoot)) {
        await this.callVm.stateManager.setStateRoot(header.stateRoot);
        this.callRoot = header.stateRoot;
      }
      return fn(this.callVm);
    });
  }

  /** A header for calls that run "in the pending block". */
  pendingBlock(): Block {
    const number = this.head.header.number + 1n;
    return createBlock({
      header: {
        parentHash: this.head.hash(), number, timestamp: this.nextBlockTimestamp(), gasLimit: this.blockGasLimit,
        difficulty: 2n, extraData: this.cliqueExtraData(number), baseFeePerGas: 0n, excessBlobGas: 0n,
        parentBeaconBlockRoot: new Uint8Array(32), stateRoot: this.head.header.stateRoot,
      },
    }, { common: this.common });
  }

  async close() {
    this.closed = true;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    clearInterval(this.expiryTimer);
    await this.sealLock.run(async () => {});
    await this.callLock.run(async () => {});
    await this.calls?.close();
  }
}

/** BlockBuilder fields that are private in the typings (see sealBlock). */
interface BuilderInternals {
  headerData: Record<string, unknown>;
  checkpointed: boolean;
  gasUsed: bigint;
  transactions: TypedTransaction[];
  transactionResults: RunTxResult[];
  transactionsTrie: () => Promise<Uint8Array>;
  receiptTrie: () => Promise<Uint8Array>;
}

export interface CallMessage { from?: Address; to?: Address; data?: Bytes; value?: bigint; gas?: bigint }

/** A committed block with its receipts; the full block and its transactions are decoded lazily. */
export class SealedBlockView {
  readonly hash: Bytes;
  readonly hashes: PrefixedHexString[];
  private full: Block | undefined;
  private context: Block | undefined;
  private txs = new Map<number, TypedTransaction>();

  constructor(
    readonly header: BlockHeader,
    readonly receipts: StoredReceipt[],
    private readonly source: { block?: Block; rlp?: Bytes; rawTxs?: (Bytes | Bytes[])[]; common: Common },
  ) {
    this.hash = header.hash();
    this.hashes = receipts.map((r) => bytesToHex(r.txHash));
    this.full = source.block;
  }

  /**
   * A view of a block just sealed. The cache keeps it in serialized form, not the decoded
   * transactions: each ethereumjs transaction carries its own Common copy (tens of KB).
   */
  static fromSealed(sealed: SealedBlock, common: Common): SealedBlockView {
    if (!sealed.rlp) return new SealedBlockView(sealed.block.header, sealed.receipts, { block: sealed.block, common });
    const [, rawTxs] = RLP.decode(sealed.rlp) as unknown as [Bytes[], (Bytes | Bytes[])[]];
    return new SealedBlockView(sealed.block.header, sealed.receipts, { rlp: sealed.rlp, rawTxs, common });
  }

  get txCount(): number { return this.hashes.length; }

  /** The whole block (decodes every transaction once). */
  block(): Block {
    this.full ??= createBlockFromRLP(this.source.rlp!, { common: this.source.common });
    return this.full;
  }

  /** A block with this header and no transactions: the context for calls at this block. */
  contextBlock(): Block {
    if (this.full) return this.full;
    this.context ??= createBlockFromBytesArray([this.header.raw(), [], [], []] as never, { common: this.source.common });
    return this.context;
  }

  tx(index: number): TypedTransaction {
    if (this.full) return this.full.transactions[index]!;
    let tx = this.txs.get(index);
    if (!tx) {
      tx = createTxFromBlockBodyData(this.source.rawTxs![index]!, { common: this.source.common });
      this.txs.set(index, tx);
    }
    return tx;
  }
}
