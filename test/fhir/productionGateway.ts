/**
 * The gateway as `medchain start` runs it: the embedded ethereumjs node in production mode (it holds
 * no keys, so eth_sendTransaction is refused and every transaction must be signed locally), the
 * MedChain contracts deployed on it, a registered patient, accredited providers whose keys the
 * hospital holds (custodial FHIR accounts), and the real gateway over real HTTP. The EDR harness
 * (test/gateway/harness.ts) unlocks every test account, which hid the custodial-signing bug.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  bytesToHex, createPublicClient, createWalletClient, custom, defineChain, encodeFunctionData, keccak256, toHex,
  type Address, type Hex, type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNode } from '../../src/chain/node.ts';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { deployMedChain, IdentityAbi, medChainContracts, Permission, ProviderKind, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';
import { opaquePurpose } from '../purposes.ts';

const CHAIN_ID = 1337;
export const ROLES = ['admin', 'patient', 'patient2', 'lab', 'hospital', 'ward', 'outsider'] as const;
export type Role = (typeof ROLES)[number];
/** Providers whose keys the hospital holds: the gateway encrypts, decrypts and signs for them. */
export const CUSTODIAL: Role[] = ['lab', 'hospital', 'ward'];

let counter = 0;
const randomKey = (): Hex => keccak256(toHex(`${Date.now()}-${Math.random()}-${++counter}`));

export async function productionGateway(options: { publicUrl?: string; port?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-fhir-'));
  const authorityKey = generatePrivateKey();
  const keys = Object.fromEntries(ROLES.map((r) => [r, generatePrivateKey()])) as Record<Role, Hex>;
  const addr = Object.fromEntries(ROLES.map((r) => [r, privateKeyToAccount(keys[r]).address])) as Record<Role, Address>;
  const encryption = Object.fromEntries(ROLES.map((r) => [r, generateEncryptionKeyPair()])) as Record<Role, EncryptionKeyPair>;
  // Production mode, as `medchain start` runs it, with short block periods to keep the suite quick.
  const node = await createNode({ dataDir: join(dir, 'chain'), chainId: CHAIN_ID, mode: 'production', authorityKey, blockPeriodMs: 20, permissioning: { mode: 'allowlist', accounts: Object.values(addr) } });
  const chain = defineChain({ id: CHAIN_ID, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } });
  const transport = custom(node, { retryCount: 0 });
  const client = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient;
  const wallet = (r: Role) => createWalletClient({ account: privateKeyToAccount(keys[r]), chain, transport });
  const mined = async (hash: Promise<Hex>) => {
    const receipt = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
    if (receipt.status !== 'success') throw new Error('set-up transaction reverted');
  };

  const addresses = await deployMedChain(wallet('admin'), client, { genesisValidators: [privateKeyToAccount(authorityKey).address] });
  const as = (r: Role) => medChainContracts(wallet(r), addresses);
  for (const p of ['patient', 'patient2'] as const) await mined(as(p).identity.write.registerPatient([randomKey(), randomKey()]));
  for (const provider of CUSTODIAL) {
    await mined(as(provider).identity.write.applyAsProvider([provider === 'lab' ? ProviderKind.Lab : ProviderKind.Hospital, randomKey(), randomKey()]));
    await mined(as('admin').identity.write.approve([addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [addr[provider]] })]));
  }
  for (const r of ['patient', 'patient2', ...CUSTODIAL] as Role[]) await mined(as(r).identity.write.rotateEncryptionKey([bytesToHex(encryption[r].publicKey)]));

  // Everything the gateway logs, as JSON lines.
  const logLines: string[] = [];
  const logger = pino({ level: 'info', base: { service: 'medchain-gateway' } }, new Writable({ write(chunk, _enc, done) { logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } }));

  const gateway: Gateway = await startGateway({
    dataDir: join(dir, 'gateway'), port: options.port ?? 0, provider: node, chainId: CHAIN_ID, addresses, operatorKey: keys.admin, pollMs: 50,
    rateLimitPerMinute: 1_000_000, anchorPeriodSeconds: 3600, logger, publicUrl: options.publicUrl,
    custodialKeys: CUSTODIAL.map((r) => ({ privateKey: keys[r], encryptionPrivateKey: encryption[r].privateKey })),
  });

  const tokens = new Map<Role, string>();
  async function token(r: Role): Promise<string> {
    let t = tokens.get(r);
    if (!t) {
      const c = new GatewayClient(gateway.url);
      await c.signIn(privateKeyToAccount(keys[r]), { chainId: CHAIN_ID });
      t = c.sessionToken!;
      tokens.set(r, t);
    }
    return t;
  }

  /** The patient grants `grantee` access to all their records for treatment, for a day. */
  async function grant(grantee: Role, permissions: number = Permission.ReadWrite, patient: Role = 'patient', startsIn = 0n): Promise<void> {
    const now = (await client.getBlock()).timestamp;
    await mined(as(patient).consent.write.grant([{
      grantee: addr[grantee], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions, purpose: opaquePurpose('Treatment'), validFrom: startsIn ? now + startsIn : 0n, validUntil: now + startsIn + 86_400n,
    }]));
  }

  async function waitIndexed(): Promise<void> {
    await gateway.indexer.waitFor(await client.getBlockNumber({ cacheTime: 0 }));
  }

  return {
    node, client, gateway, addresses, addr, keys, encryption, as, mined, token, grant, waitIndexed, logLines,
    async close() { await gateway.close(); await node.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export type ProductionGateway = Awaited<ReturnType<typeof productionGateway>>;
