/**
 * What the record-store attack tests share: an attacker that reaches the chain only through the
 * gateway's public `/rpc` (transactions signed locally, sent with eth_sendRawTransaction), a look at
 * the blob store's files on disk, and the victim's own read-and-decrypt over HTTP.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError, ContractFunctionRevertedError, bytesToHex, createPublicClient, createWalletClient, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { medChainContracts, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { openRecordVersion } from '../../src/sdk/records.ts';
import { chain } from '../../contracts/test/fixture.ts';
import type { Actor } from '../../contracts/test/fixture.ts';
import type { Harness } from '../gateway/harness.ts';

/** An account that self-registers as a patient through the gateway's /rpc and signs in. */
export async function selfRegisteredAttacker(h: Harness, key: Hex) {
  const account = privateKeyToAccount(key);
  // Anyone may sign in (no role needed): the session is what the gateway's /rpc asks of a caller.
  const rpcSession = new GatewayClient(h.gateway.url);
  await rpcSession.signIn(account, { chainId: 31337 });
  const transport = rpcSession.rpcTransport({ retryCount: 0 });
  const wallet = createWalletClient({ account, chain, transport });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 });
  const contracts = medChainContracts(wallet, h.f.addresses);
  const encryption: EncryptionKeyPair = generateEncryptionKeyPair();
  const mined = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
    if (receipt.status !== 'success') throw new Error(`attacker transaction ${receipt.transactionHash} reverted`);
    return receipt;
  };
  await mined(contracts.identity.write.registerPatient([bytesToHex(encryption.publicKey), ZERO_SCOPE]));
  // Signed in again now that it has a role (record routes need one).
  const gateway = new GatewayClient(h.gateway.url);
  await gateway.signIn(account, { chainId: 31337 });
  return { address: account.address as Address, contracts, publicClient, mined, gateway, encryption, token: gateway.sessionToken! };
}

/** The custom error a contract call reverted with (the call must revert). */
export async function revertName(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (revert instanceof ContractFunctionRevertedError) return revert.data?.errorName ?? revert.reason ?? 'unknown revert';
    throw error;
  }
  throw new Error('expected the call to revert');
}

/** Whether the gateway's filesystem blob store holds a file for `cid` (looked up on disk, not through the API). */
export function blobOnDisk(dataDir: string, cid: string): boolean {
  const blocks = join(dataDir, 'blobs', 'blocks');
  if (!existsSync(blocks)) return false;
  return readdirSync(blocks).some((shard) => statSync(join(blocks, shard)).isDirectory() && existsSync(join(blocks, shard, cid)));
}

/** Every blob file on disk. */
export function blobsOnDisk(dataDir: string): string[] {
  const blocks = join(dataDir, 'blobs', 'blocks');
  if (!existsSync(blocks)) return [];
  return readdirSync(blocks).flatMap((shard) => readdirSync(join(blocks, shard)));
}

/** The actor reads a version over HTTP (ciphertext + own envelope) and decrypts it; returns the plaintext JSON. */
export async function readAndDecrypt(h: Harness, actor: Actor, recordId: Hex, version: number, patient: Address, integrityHash?: Hex): Promise<unknown> {
  const c = await h.client(actor);
  const ciphertext = await c.getCiphertext(recordId, version);
  const { envelope } = await c.getEnvelope(recordId, version);
  const opened = await openRecordVersion({ ciphertext, envelope, privateKey: h.encryption[actor].privateKey, recordId, version, patient, integrityHash });
  if (integrityHash !== undefined && opened.integrityVerified !== true) throw new Error('integrity check failed');
  return JSON.parse(new TextDecoder().decode(opened.plaintext));
}

/** The stored envelope rows of a record, as SQL holds them (for "nothing changed" comparisons). */
export async function envelopeRows(h: Harness, recordId: Hex) {
  return h.gateway.db.query('SELECT version, recipient, kind, envelope FROM envelopes WHERE record_id = $1 ORDER BY version, recipient, kind', [recordId.toLowerCase()]);
}

export async function escrowRows(h: Harness, recordId: Hex) {
  const bundles = await h.gateway.db.query('SELECT version, threshold, commitment FROM escrow_bundles WHERE record_id = $1 ORDER BY version', [recordId.toLowerCase()]);
  const shares = await h.gateway.db.query('SELECT version, custodian, share_index, envelope FROM escrow_shares WHERE record_id = $1 ORDER BY version, share_index', [recordId.toLowerCase()]);
  return { bundles, shares };
}
