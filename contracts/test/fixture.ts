/**
 * Test fixture: a fresh EDR chain with named, funded actors, the MedChain contracts deployed and
 * helpers for sending transactions, expecting custom-error reverts and controlling block time.
 */
import assert from 'node:assert/strict';
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, custom, defineChain,
  type Address, type Hex, type PublicClient, type TransactionReceipt,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createEdrProvider, type Eip1193Provider } from '../../src/chain/edrProvider.ts';
import { deployMedChain, medChainContracts, ProviderKind, registerDeviceTypedData, type DeployOptions, type MedChainAddresses } from '../../src/sdk/contracts.ts';

export const ACTORS = ['admin', 'admin2', 'admin3', 'patient', 'patient2', 'doctor', 'lab', 'hospital', 'outsider', 'relayer', 'device', 'applicant'] as const;
export type Actor = (typeof ACTORS)[number];

export const chain = defineChain({
  id: 31337, name: 'medchain-test', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } },
});

/** `provider`: another chain than EDR (benchmarks run on the embedded node), given the actors' keys to fund and unlock. */
export async function medchainFixture(options: DeployOptions & { setUpActors?: boolean; provider?: (accountKeys: Hex[]) => Promise<Eip1193Provider> } = {}) {
  const keys = Object.fromEntries(ACTORS.map((a) => [a, generatePrivateKey()])) as Record<Actor, Hex>;
  const coinbase = privateKeyToAccount(generatePrivateKey()).address;
  const provider: Eip1193Provider = options.provider ? await options.provider(Object.values(keys)) : await createEdrProvider({ accounts: Object.values(keys), coinbase });
  // In-process: nothing to retry (viem would otherwise retry reverts it cannot classify, ~1 s each).
  const transport = custom(provider, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const walletOf = (key: Hex) => createWalletClient({ account: privateKeyToAccount(key), chain, transport });
  const wallets = Object.fromEntries(ACTORS.map((a) => [a, walletOf(keys[a])])) as Record<Actor, ReturnType<typeof walletOf>>;
  const addr = Object.fromEntries(ACTORS.map((a) => [a, wallets[a].account.address])) as Record<Actor, Address>;

  const addresses: MedChainAddresses = await deployMedChain(wallets.admin, publicClient, options);
  const read = medChainContracts(publicClient, addresses);
  const as = (actor: Actor) => medChainContracts(wallets[actor], addresses);

  /** Waits for a transaction and fails the test if it reverted. */
  async function mined(hash: Promise<Hex> | Hex): Promise<TransactionReceipt> {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
    assert.equal(receipt.status, 'success', `transaction ${receipt.transactionHash} reverted`);
    return receipt;
  }

  /**
   * The actor's own transaction, as the CLI and the web send one: simulated first (so a refusal
   * names the contract's error), then signed with the actor's key and mined. SDK actions take it as `send`.
   */
  const sendAs = (actor: Actor) => async (call: object): Promise<TransactionReceipt> => {
    const { request } = await publicClient.simulateContract({ ...call, account: wallets[actor].account } as never);
    return mined(wallets[actor].writeContract(request as never));
  };

  async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
    return provider.request({ method, params } as never);
  }
  async function latestTimestamp(): Promise<bigint> {
    return (await publicClient.getBlock({ blockTag: 'latest' })).timestamp;
  }
  /** The next block (mined by the next transaction or `mine`) gets timestamp `ts`. */
  async function setNextTimestamp(ts: bigint): Promise<void> { await rpc('evm_setNextBlockTimestamp', [`0x${ts.toString(16)}`]); }
  /** Mines an empty block at `ts` and returns its number, for calls evaluated at exactly that time. */
  async function mineAt(ts: bigint): Promise<bigint> {
    await setNextTimestamp(ts);
    await rpc('evm_mine');
    return publicClient.getBlockNumber({ cacheTime: 0 });
  }
  async function setCoinbase(address: Address): Promise<void> { await rpc('hardhat_setCoinbase', [address]); }

  /** Accredits `actor` as a provider of `kind` through governance (threshold 1 unless configured otherwise). */
  async function accredit(actor: Actor, kind: number, approvers: Actor[] = ['admin']) {
    await mined(as(actor).identity.write.applyAsProvider([kind, randomKey(), randomKey()]));
    for (const approver of approvers) {
      await mined(as(approver).identity.write.approve([addresses.identity, encodeAccredit(addr[actor])]));
    }
  }

  /** The device key's EIP-712 consent to belong to `owner` (what Identity.registerDevice checks). */
  async function deviceSignature(device: Actor, owner: Address, deadline?: bigint): Promise<{ deadline: bigint; signature: Hex }> {
    const nonce = await read.identity.read.nonces([addr[device]]);
    const until = deadline ?? (await latestTimestamp()) + 3600n;
    const signature = await privateKeyToAccount(keys[device]).signTypedData(
      registerDeviceTypedData({ chainId: chain.id, identity: addresses.identity, nonce, deadline: until, device: addr[device], owner }));
    return { deadline: until, signature };
  }
  /** `owner` registers `device` as their device, with the device key's signature. */
  async function registerDevice(owner: Actor, device: Actor = 'device') {
    const { deadline, signature } = await deviceSignature(device, addr[owner]);
    return mined(as(owner).identity.write.registerDevice([addr[device], deadline, signature]));
  }

  if (options.setUpActors !== false) {
    await mined(as('patient').identity.write.registerPatient([randomKey(), randomKey()]));
    await mined(as('patient2').identity.write.registerPatient([randomKey(), randomKey()]));
    if ((options.accreditationThreshold ?? 1n) === 1n) {
      await accredit('doctor', ProviderKind.Doctor);
      await accredit('lab', ProviderKind.Lab);
      await accredit('hospital', ProviderKind.Hospital);
    }
  }

  return {
    provider, publicClient, wallets, keys, addr, addresses, read, as, mined, sendAs, rpc, latestTimestamp, setNextTimestamp, mineAt, setCoinbase, accredit, coinbase,
    deviceSignature, registerDevice,
  };
}

export type Fixture = Awaited<ReturnType<typeof medchainFixture>>;

import { decodeErrorResult, encodeFunctionData, keccak256, toHex } from 'viem';
import { AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, RecordRegistryAbi, StudiesAbi } from '../../src/sdk/contracts.ts';

const allErrors = [...IdentityAbi, ...ConsentAbi, ...IncentivesAbi, ...MedTokenAbi, ...RecordRegistryAbi, ...AccessLogAnchorAbi, ...StudiesAbi].filter((x) => x.type === 'error');

function decodeAnyError(raw: Hex): string {
  try { return decodeErrorResult({ abi: allErrors, data: raw }).errorName; } catch { return `unknown error ${raw.slice(0, 10)}`; }
}

export function encodeAccredit(provider: Address): Hex {
  return encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [provider] });
}

let counter = 0;
/** A random-looking non-zero bytes32 (stands in for keys, hashes and record ids). */
export function randomKey(): Hex {
  return keccak256(toHex(`${Date.now()}-${Math.random()}-${++counter}`));
}

/** Asserts that `action` reverts with the custom error `errorName` (decoded from the ABI). */
export async function expectRevert(action: Promise<unknown>, errorName: string): Promise<void> {
  try {
    await action;
  } catch (error) {
    if (error instanceof BaseError) {
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (revert instanceof ContractFunctionRevertedError) {
        // Errors bubbled up from another contract (a governed call, a nested check) are decoded with every MedChain ABI.
        const name = revert.data?.errorName ?? (revert.raw ? decodeAnyError(revert.raw) : revert.reason);
        assert.equal(name, errorName, `expected ${errorName}, got ${name}`);
        return;
      }
    }
    throw error;
  }
  assert.fail(`expected revert ${errorName}, but the call succeeded`);
}
