/**
 * Transaction admission: a signed transaction is decoded and checked against the head state and
 * the node's limits before it enters the pool, with geth's error texts (the ones viem and wallets
 * match on). Nothing a refused transaction carries reaches the pool.
 */
import type { Common } from '@ethereumjs/common';
import { Capability, TransactionType, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex, type Account, type Address } from '@ethereumjs/util';
import { ErrorCode, RpcError, serverError } from './errors.ts';
import { MAX_NONCE_AHEAD, MAX_POOL_SIZE, MAX_QUEUED, MAX_QUEUED_PER_SENDER, type TxPool } from './txPool.ts';
import type { Bytes, Hex } from './types.ts';

/** EIP-7825 (Osaka): a transaction's gas limit is capped at 2^24, as geth and Besu enforce. */
export const MAX_TX_GAS = 16_777_216n;
/** geth's txMaxSize: 4 slots of 32 KiB; larger transactions are "oversized data". */
export const MAX_TX_BYTES = 128 * 1024;

export interface AdmissionRules {
  common: Common;
  mode: 'dev' | 'production';
  pool: TxPool;
  blockGasLimit: bigint;
  maxTxGas: bigint;
  /** Transactions the pool holds at most (default MAX_POOL_SIZE). */
  maxPoolSize?: number;
  closed(): boolean;
  isAllowed(sender: string): boolean;
  /** The sender's account at the head (the sealing state). */
  account(sender: Address): Promise<Account>;
  /** Whether a transaction is already in a committed block. */
  isSealed(hash: Bytes): Promise<boolean>;
  /** Drops queued transactions past their lifetime (before counting the queue). */
  expireQueued(): void;
  /** Called once the transaction is in the pool. */
  admitted(hash: Hex): void;
}

/** Decodes a raw signed transaction (eth_sendRawTransaction) and admits it. Returns its hash. */
export async function admitRaw(rules: AdmissionRules, raw: Bytes): Promise<Hex> {
  if (rules.closed()) throw serverError('node is shutting down');
  if (raw.length > MAX_TX_BYTES) throw serverError(`oversized data: transaction size ${raw.length}, limit ${MAX_TX_BYTES}`);
  let tx: TypedTransaction;
  try {
    tx = createTxFromRLP(raw, { common: rules.common });
  } catch (e) {
    const message = (e as Error).message;
    if (/chain ?id/i.test(message)) throw serverError('invalid chain id for signer');
    // ethereumjs refuses these while decoding; geth's ErrTipAboveFeeCap text is what tools match.
    if (message.includes('maxFeePerGas cannot be less than maxPriorityFeePerGas')) throw serverError('max priority fee per gas higher than max fee per gas');
    throw serverError(`invalid transaction: ${message.split('\n')[0]!.slice(0, 200)}`);
  }
  return admit(rules, tx);
}

const feeCap = (tx: TypedTransaction): bigint =>
  'maxFeePerGas' in tx ? (tx.maxFeePerGas as bigint) : (tx as unknown as { gasPrice: bigint }).gasPrice;

/** Validates a signed transaction against the head state and queues it. Returns its hash. */
export async function admit(rules: AdmissionRules, tx: TypedTransaction): Promise<Hex> {
  const { pool } = rules;
  if (tx.type === TransactionType.BlobEIP4844) throw serverError('blob transactions are not supported');
  if (!tx.isSigned()) throw serverError('transaction is not signed');
  if (tx.type === TransactionType.Legacy && !tx.supports(Capability.EIP155ReplayProtection) && rules.mode !== 'dev') {
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
  if (pool.byHash.has(hash)) throw serverError('already known');
  const senderHex = sender.toString();
  if (!rules.isAllowed(senderHex)) throw new RpcError(ErrorCode.notAuthorized, 'sender account not authorized to send transactions');
  if (tx.serialize().length > MAX_TX_BYTES) throw serverError(`oversized data: transaction size ${tx.serialize().length}, limit ${MAX_TX_BYTES}`);
  if (tx.gasLimit > rules.blockGasLimit) throw serverError('exceeds block gas limit');
  // geth's wording for the EIP-7825 cap (core.ErrGasLimitTooHigh).
  if (tx.gasLimit > rules.maxTxGas) throw serverError(`transaction gas limit too high (cap: ${rules.maxTxGas}, tx: ${tx.gasLimit})`);
  if (tx.gasLimit < tx.getIntrinsicGas()) throw serverError('intrinsic gas too low');
  const account = await rules.account(sender);
  if (tx.nonce < account.nonce) {
    // A sealed transaction sent again is "already known"; anything else below the nonce is stale.
    throw serverError((await rules.isSealed(tx.hash())) ? 'already known' : 'nonce too low');
  }
  if (tx.nonce > account.nonce + MAX_NONCE_AHEAD) throw serverError('nonce too high');
  const maxFee = feeCap(tx);
  if (account.balance < tx.gasLimit * maxFee + tx.value) throw serverError('insufficient funds for gas * price + value');
  const existing = pool.get(senderHex, tx.nonce);
  if (existing) {
    const oldFee = feeCap(existing.tx);
    // geth's rule: a replacement must raise the fee by 10%; with free gas nothing can, so
    // a queued nonce is final (replacements of 0-fee transactions are refused).
    if (maxFee === 0n || maxFee * 10n < oldFee * 11n) throw serverError('replacement transaction underpriced');
  }
  if (pool.size >= (rules.maxPoolSize ?? MAX_POOL_SIZE)) throw serverError('txpool is full');
  if (!existing && tx.nonce > pool.pendingNonce(senderHex, account.nonce)) {
    // Behind a nonce gap: queued, not executable; bounded so gaps cannot fill the pool.
    rules.expireQueued();
    if (pool.queuedOf(senderHex) >= MAX_QUEUED_PER_SENDER) {
      throw serverError(`account limit exceeded: ${MAX_QUEUED_PER_SENDER} transactions of this sender already wait for nonce ${pool.pendingNonce(senderHex, account.nonce)}`);
    }
    if (pool.queuedCount >= MAX_QUEUED) throw serverError('txpool is full');
  }
  pool.add(tx, hash, sender, account.nonce);
  rules.admitted(hash as Hex);
  return hash as Hex;
}
