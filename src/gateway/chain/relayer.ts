/**
 * The hospital's relayer: the gateway's own account sends the transactions patients sign but do
 * not pay for (EIP-712 grants, revocations, extensions, registrations of new patients and provider
 * applicants on a permissioned chain) and the access-log anchors. viem's nonce
 * manager hands out nonces locally, so concurrent relays do not collide.
 */
import {
  createWalletClient, type Address, type Chain, type Hex, type PublicClient, type Transport,
} from 'viem';
import { nonceManager, privateKeyToAccount } from 'viem/accounts';
import { describeRevert } from '../../sdk/errors.ts';
import { AccessLogAnchorAbi, ConsentAbi, IdentityAbi, type GrantTerms, type MedChainAddresses } from '../../sdk/contracts.ts';

/** A transaction the chain refused, with the contract's custom error name (e.g. InvalidSignature). */
export class ChainRefusal extends Error {
  constructor(readonly errorName: string, readonly args: readonly unknown[] = []) {
    super(`refused by the chain: ${errorName}`);
  }
}

/** Turns a viem revert into a ChainRefusal; other errors pass through. */
export function asChainRefusal(error: unknown): unknown {
  const revert = describeRevert(error);
  return revert ? new ChainRefusal(revert.errorName, revert.args) : error;
}

export interface RelayerOptions {
  client: PublicClient;
  transport: Transport;
  chain: Chain;
  addresses: MedChainAddresses;
  privateKey: Hex;
  /** Told the block of each transaction it saw mined (the gateway has seen that block). */
  onMined?: (blockNumber: bigint) => void;
  /**
   * The embedded node's in-process block announcements: a receipt is then looked up as each block
   * is sealed instead of on a 100 ms poll (grant -> first permitted read waited for the poll).
   */
  blocks?: BlockAnnouncer;
}

/** Subscribes to sealed blocks (the embedded node's Chain 'block' event). */
export interface BlockAnnouncer {
  on(event: 'block', fn: () => void): void;
  off(event: 'block', fn: () => void): void;
}

/**
 * A key the gateway sends transactions with: simulates first (a refusal costs nothing and carries
 * the reason), then sends and waits for the receipt.
 */
export function transactionSender({ client, transport, chain, privateKey, onMined, blocks }: Omit<RelayerOptions, 'addresses'>) {
  const account = privateKeyToAccount(privateKey, { nonceManager });
  const wallet = createWalletClient({ account, chain, transport });
  type Receipt = Awaited<ReturnType<PublicClient['waitForTransactionReceipt']>>;
  /** viem's poll, raced (when blocks are announced) by a lookup on each sealed block; either one answers. */
  async function receiptOf(hash: Hex): Promise<Receipt> {
    const polled = client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
    if (!blocks) return polled;
    let onBlock: (() => void) | undefined;
    const announced = new Promise<Receipt>((resolve) => {
      onBlock = () => { void client.getTransactionReceipt({ hash }).then(resolve, () => undefined); };
      blocks.on('block', onBlock);
      onBlock(); // mined before the listener was added
    });
    try {
      return await Promise.race([polled, announced]);
    } finally {
      blocks.off('block', onBlock!);
      polled.catch(() => undefined);
    }
  }
  /**
   * `onAccepted` runs once the simulation passed (the chain accepts the call and its signature as
   * of now) and before the transaction is sent; it may refuse by throwing.
   */
  async function send(simulate: () => Promise<{ request: unknown }>, onAccepted?: () => Promise<void>): Promise<{ hash: Hex; blockNumber: bigint }> {
    let request: unknown;
    try {
      ({ request } = await simulate());
    } catch (error) {
      throw asChainRefusal(error);
    }
    await onAccepted?.();
    let hash: Hex;
    try {
      hash = await wallet.writeContract(request as Parameters<typeof wallet.writeContract>[0]);
    } catch (error) {
      // The gas estimate runs again on a newer block and may now revert (e.g. the deadline passed).
      throw asChainRefusal(error);
    }
    const receipt = await receiptOf(hash);
    onMined?.(receipt.blockNumber);
    if (receipt.status !== 'success') throw new ChainRefusal('reverted');
    return { hash, blockNumber: receipt.blockNumber };
  }
  return { account, send };
}

export function createRelayer({ client, transport, chain, addresses, privateKey, onMined, blocks }: RelayerOptions) {
  const { account, send } = transactionSender({ client, transport, chain, privateKey, onMined, blocks });

  const consent = { address: addresses.consent, abi: ConsentAbi, account } as const;
  const identity = { address: addresses.identity, abi: IdentityAbi, account } as const;
  return {
    address: account.address as Address,
    grantBySig: (patient: Address, terms: GrantTerms, requestId: bigint, deadline: bigint, signature: Hex) =>
      send(() => client.simulateContract({ ...consent, functionName: 'grantBySig', args: [patient, terms, requestId, deadline, signature] })),
    /** `onAccepted`: the signature passed the chain's check (simulation), before the transaction is sent. */
    revokeBySig: (patient: Address, grantId: bigint, deadline: bigint, signature: Hex, onAccepted?: () => Promise<void>) =>
      send(() => client.simulateContract({ ...consent, functionName: 'revokeBySig', args: [patient, grantId, deadline, signature] }), onAccepted),
    extendBySig: (patient: Address, grantId: bigint, validUntil: bigint, deadline: bigint, signature: Hex) =>
      send(() => client.simulateContract({ ...consent, functionName: 'extendBySig', args: [patient, grantId, validUntil, deadline, signature] })),
    registerPatientBySig: (patient: Address, encryptionKey: Hex, metadataHash: Hex, deadline: bigint, signature: Hex) =>
      send(() => client.simulateContract({ ...identity, functionName: 'registerPatientBySig', args: [patient, encryptionKey, metadataHash, deadline, signature] })),
    applyAsProviderBySig: (provider: Address, kind: number, encryptionKey: Hex, metadataHash: Hex, deadline: bigint, signature: Hex) =>
      send(() => client.simulateContract({ ...identity, functionName: 'applyAsProviderBySig', args: [provider, kind, encryptionKey, metadataHash, deadline, signature] })),
    /** Anchors an access-log period's Merkle root; returns the transaction hash. */
    anchor: async (periodId: bigint, root: Hex, count: bigint): Promise<Hex> => (await send(() => client.simulateContract({
      address: addresses.accessLogAnchor, abi: AccessLogAnchorAbi, account, functionName: 'anchor', args: [periodId, root, count],
    }))).hash,
  };
}

export type Relayer = ReturnType<typeof createRelayer>;
