/**
 * A real gateway over real HTTP on a real chain (EDR, in process) with the MedChain contracts,
 * accredited providers and registered patients whose X25519 keys are published on chain; one
 * signed-in SDK client per actor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { prepareRecordVersion } from '../../src/sdk/records.ts';
import { medchainFixture, type Actor } from '../../contracts/test/fixture.ts';
import { startGateway, type Gateway, type GatewayOptions, type StorageOptions } from '../../src/gateway/server.ts';
import { newCustodianKey, type CustodianKey } from '../../src/keys/keyRing.ts';
import { startPgServer } from './pgServer.ts';

process.env.MEDCHAIN_LOG_LEVEL ??= 'warn';

/**
 * `custodial`: actors whose keys the gateway holds (EHR integrations, devices): FHIR encrypts and decrypts for them.
 * `databaseUrl`: the gateway's SQL on that PostgreSQL database instead of SQLite; MEDCHAIN_TEST_POSTGRES=1 runs
 * any gateway suite on a throwaway PostgreSQL server of its own.
 * `custodians`: how many escrow custodian keys the gateway holds (default 2, threshold 2); they are
 * their own random keys, as `medchain start` keeps in keys/custodian-<i>.json, not the operator's.
 * `storage`: quotas, GC and shredding options (read at each (re)start).
 */
export async function gatewayHarness(options: { anchorPeriodSeconds?: number; operator?: Actor; custodial?: Actor[]; databaseUrl?: string; custodians?: number; storage?: StorageOptions; fixture?: Parameters<typeof medchainFixture>[0]; research?: GatewayOptions['research'] } = {}) {
  const f = await medchainFixture(options.fixture);
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-gateway-'));
  const pg = options.databaseUrl === undefined && process.env.MEDCHAIN_TEST_POSTGRES === '1' ? await startPgServer() : undefined;
  const databaseUrl = options.databaseUrl ?? pg?.url();
  // Real X25519 keys (published on chain below).
  const encryption = Object.fromEntries(['patient', 'patient2', 'doctor', 'lab', 'hospital', 'device'].map((a) => [a, generateEncryptionKeyPair()])) as Record<Actor, EncryptionKeyPair>;
  const custodianKeys: CustodianKey[] = Array.from({ length: options.custodians ?? 2 }, newCustodianKey);
  const start = (operator: Actor = options.operator ?? 'admin') => startGateway({
    escrow: { custodianKeys },
    dataDir, databaseUrl, port: 0, provider: f.provider, chainId: 31337, addresses: f.addresses, operatorKey: f.keys[operator],
    anchorPeriodSeconds: options.anchorPeriodSeconds ?? 3600, pollMs: 50, rateLimitPerMinute: 100_000,
    custodialKeys: (options.custodial ?? []).map((a) => ({ privateKey: f.keys[a], encryptionPrivateKey: encryption[a].privateKey })),
    storage: options.storage, research: options.research,
  });
  let gateway: Gateway = await start();

  for (const actor of ['patient', 'patient2', 'doctor', 'lab', 'hospital'] as Actor[]) {
    await f.mined(f.as(actor).identity.write.rotateEncryptionKey([bytesToHex(encryption[actor].publicKey)]));
  }

  const clients = new Map<Actor, GatewayClient>();
  async function client(actor: Actor): Promise<GatewayClient> {
    let c = clients.get(actor);
    if (!c) {
      c = new GatewayClient(gateway.url);
      await c.signIn(privateKeyToAccount(f.keys[actor]), { chainId: 31337 });
      clients.set(actor, c);
    }
    return c;
  }

  /** The patient (or an author with a write grant) encrypts a FHIR resource, uploads it, registers it on chain and deposits envelopes. */
  async function addRecord(author: Actor, patient: Actor, resource: Record<string, unknown>, readers: Actor[] = [], options: { escrow?: boolean } = {}) {
    const recipients = [...new Set([patient, author, ...readers])].map((a) => ({ address: f.addr[a], publicKey: encryption[a].publicKey }));
    const c = await client(author);
    // `escrow`: the data key is also split among the gateway's custodians (break-glass).
    const escrow = options.escrow ? await c.escrowConfig() : undefined;
    const prepared = await prepareRecordVersion({
      plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient: f.addr[patient], resourceType: String(resource.resourceType), recipients, escrow,
    });
    await c.uploadCiphertext(prepared.ciphertext);
    await f.mined(f.as(author).recordRegistry.write.addRecord([prepared.recordId, f.addr[patient], prepared.category, prepared.contentId, prepared.integrityHash]));
    await c.depositEnvelopes(prepared.recordId, 1, prepared.envelopes, undefined, prepared.escrow);
    return prepared;
  }

  async function waitIndexed(): Promise<void> {
    await gateway.indexer.waitFor(await f.publicClient.getBlockNumber({ cacheTime: 0 }));
  }

  return {
    f, get gateway() { return gateway; }, encryption, client, addRecord, waitIndexed, dataDir, custodianKeys,
    /** Stops the gateway and starts it again on the same data directory (sessions must sign in again). */
    async restart(operator?: Actor) {
      await gateway.close();
      gateway = await start(operator);
      clients.clear();
    },
    async close() { await gateway.close(); await pg?.stop(); rmSync(dataDir, { recursive: true, force: true }); },
  };
}

export type Harness = Awaited<ReturnType<typeof gatewayHarness>>;

/** Raw HTTP with an optional bearer token, for checking statuses and bodies exactly. */
export async function httpCall(base: string, method: string, path: string, options: { token?: string; body?: unknown; raw?: Uint8Array; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.raw) { body = options.raw as Uint8Array<ArrayBuffer>; headers['content-type'] ??= 'application/octet-stream'; }
  else if (options.body !== undefined) { body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body); headers['content-type'] ??= 'application/json'; }
  const response = await fetch(new URL(path, base), { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, json: json as Record<string, unknown> | undefined, text, headers: response.headers };
}

export type { Address, Hex };
