/**
 * `medchain start`: the embedded node, the contracts (deployed on first run), the gateway and the
 * web UI — on embedded defaults, with the data kept in the data directory between runs. `--rpc-url`
 * uses an external chain (a consortium network) instead of the embedded node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, custom, defineChain, http, type Hex, type PublicClient, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createNode, type MedChainNode } from '../chain/node.ts';
import { decryptKeystore, encryptKeystore } from '../crypto/keystore.ts';
import { deployMedChain } from '../sdk/contracts.ts';
import { startGateway, type Gateway } from '../gateway/server.ts';
import { acquireLock, CliError, paths, readJson, writeFileAtomic, type Config, type Deployment } from './dataDir.ts';
import { readPassphrase } from './passphrase.ts';
import { loadCustodialKeys } from './custodial.ts';
import { demoLoginLines, readDemoSummary, type DemoSummary } from './demo/summary.ts';

export interface StartOptions {
  dataDir: string;
  host: string;
  port: number;
  rpcPort: number;
  rpcUrl?: string;
  passphraseFile?: string;
  chainId?: number;
  /** Test-only: cheaper scrypt for keystores created here. */
  scryptN?: number;
  /** Seed a demo hospital on the first start with this option (see demo/seed.ts). */
  demo?: { patients: number };
  /** PostgreSQL for the gateway's SQL instead of SQLite in the data directory. */
  databaseUrl?: string;
}

const randomKey = (): Hex => `0x${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`;

/** Creates the data directory's keys and config on first run; returns the decrypted keys. */
export async function initDataDir(options: Pick<StartOptions, 'dataDir' | 'passphraseFile' | 'chainId' | 'scryptN'>, log: (line: string) => void) {
  const p = paths(options.dataDir);
  const firstRun = !existsSync(p.adminKey);
  const passphrase = await readPassphrase({ file: options.passphraseFile, confirm: firstRun, purpose: firstRun ? 'the new MedChain keys' : 'the MedChain keys' });
  if (firstRun) {
    log('First run: creating the authority (block sealing) key and the first admin key, encrypted with your passphrase…');
    for (const [file, kind] of [[p.authorityKey, 'authority'], [p.adminKey, 'admin']] as const) {
      const keystore = await encryptKeystore(Buffer.from(randomKey().slice(2), 'hex'), passphrase, { scryptN: options.scryptN });
      writeFileAtomic(file, JSON.stringify(keystore, null, 2));
      log(`  ${kind} key: ${file}`);
    }
    writeFileAtomic(p.config, JSON.stringify({ chainId: options.chainId ?? 1337, createdAt: new Date().toISOString() } satisfies Config, null, 2));
  }
  const open = async (file: string) => {
    try {
      const { privateKey } = await decryptKeystore(JSON.parse(readFileSync(file, 'utf8')), passphrase);
      return `0x${Buffer.from(privateKey).toString('hex')}` as Hex;
    } catch (error) {
      throw new CliError(`cannot open ${file}: ${(error as Error).message}`, 1);
    }
  };
  const authorityKey = await open(p.authorityKey);
  const adminKey = await open(p.adminKey);
  const config = readJson<Config>(p.config) ?? { chainId: options.chainId ?? 1337, createdAt: new Date().toISOString() };
  const custodialKeys = await loadCustodialKeys(p.custodial, passphrase);
  return { authorityKey, adminKey, config, firstRun, custodialKeys };
}

export async function start(options: StartOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  const release = acquireLock(options.dataDir);
  let node: MedChainNode | undefined;
  let gateway: Gateway | undefined;
  let rpcServer: { close(): Promise<void>; httpUrl: string } | undefined;
  try {
    const p = paths(options.dataDir);
    const { authorityKey, adminKey, config, custodialKeys } = await initDataDir(options, log);
    const chainId = config.chainId;
    let transport: Transport;
    let provider: MedChainNode | undefined;
    if (options.rpcUrl) {
      transport = http(options.rpcUrl, { retryCount: 2 });
    } else {
      // Production sealing with the authority key; gas is free, so only allowlisted accounts may send:
      // the admin (operator) from genesis, others once registered (the gateway relays signed
      // registrations and admits them: routes/onboarding.ts). A data directory keeps the mode it was created with.
      node = await createNode({ dataDir: p.chain, chainId, mode: 'production', authorityKey, permissioning: { mode: 'allowlist', accounts: [privateKeyToAccount(adminKey).address] } });
      provider = node;
      transport = custom(node, { retryCount: 0 });
      rpcServer = await node.listen({ host: options.host, port: options.rpcPort });
    }
    const chain = defineChain({ id: chainId, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl ?? rpcServer!.httpUrl] } } });
    const client = createPublicClient({ chain, transport, pollingInterval: 200 }) as PublicClient;
    const remoteChainId = await client.getChainId();
    if (remoteChainId !== chainId && !options.rpcUrl) throw new CliError(`the chain reports id ${remoteChainId}, the data directory expects ${chainId}`);

    let deployment = readJson<Deployment>(p.deployment);
    if (deployment) {
      for (const [name, address] of Object.entries(deployment.addresses)) {
        const code = await client.getCode({ address });
        if (!code || code === '0x') throw new CliError(`no contract code at ${address} (${name}) recorded in ${p.deployment}: wrong chain or data directory`);
      }
    } else {
      log('Deploying the MedChain contracts…');
      const admin = privateKeyToAccount(adminKey);
      const wallet = createWalletClient({ account: admin, chain, transport });
      const addresses = await deployMedChain(wallet, client, { genesisValidators: [privateKeyToAccount(authorityKey).address] });
      deployment = {
        chainId: remoteChainId, addresses, deployBlock: '0', deployedAt: new Date().toISOString(),
        admin: admin.address, authority: privateKeyToAccount(authorityKey).address,
      };
      writeFileAtomic(p.deployment, JSON.stringify(deployment, null, 2));
    }

    const gatewayOptions = {
      dataDir: p.gateway, provider, rpcUrl: options.rpcUrl, databaseUrl: options.databaseUrl,
      chainId: remoteChainId, addresses: deployment.addresses, operatorKey: adminKey, deployBlock: BigInt(deployment.deployBlock),
      custodialKeys,
    };
    let demo: DemoSummary | undefined;
    if (options.demo) {
      demo = readDemoSummary(options.dataDir);
      if (demo) log(`Demo hospital already seeded (${demo.seededAt}); not seeding again.`);
      else {
        if (!provider) throw new CliError('--demo seeds the embedded node; it cannot be combined with --rpc-url', 2);
        // Seeding talks to a private gateway on this data directory (loopback, ephemeral port, no
        // request rate limit), closed before the public one starts with its normal limits.
        log(`Seeding the demo hospital (${options.demo.patients} synthetic patients)…`);
        const seeder = await startGateway({ ...gatewayOptions, host: '127.0.0.1', port: 0, rateLimitPerMinute: 1_000_000, webDist: '/nonexistent', sweepSeconds: 3600, anchorPeriodSeconds: 3600 });
        try {
          const { seedDemo } = await import('./demo/seed.ts'); // faker and cli-progress: only when seeding
          demo = await seedDemo({
            provider, chainId: remoteChainId, addresses: deployment.addresses, adminKey, gatewayUrl: seeder.url, dataDir: options.dataDir,
            patients: options.demo.patients, scryptN: options.scryptN, log,
          });
        } finally {
          await seeder.close();
        }
        log(`Seeded in ${demo.seconds} s.`);
      }
    }
    gateway = await startGateway({ ...gatewayOptions, host: options.host, port: options.port });
    log('');
    log(`MedChain is running.`);
    log(`  web UI and API   ${gateway.url}`);
    if (rpcServer) log(`  chain JSON-RPC   ${rpcServer.httpUrl}  (chain id ${remoteChainId})`);
    else log(`  chain JSON-RPC   ${options.rpcUrl}  (external, chain id ${remoteChainId})`);
    log(`  admin account    ${deployment.admin}`);
    if (custodialKeys.length > 0) log(`  custodial        ${custodialKeys.map((k) => k.address).join(', ')} (FHIR encrypts and decrypts for them)`);
    log(`  data             ${options.dataDir}`);
    log('');
    log('Next: open the web UI, create a keystore and register as a patient; the admin key is in');
    log(`${p.adminKey} (import it in the UI to accredit providers). Stop with Ctrl-C.`);
    if (demo) { log(''); for (const line of demoLoginLines(demo)) log(line); }

    const stop = async () => {
      await gateway?.close();
      await rpcServer?.close();
      await node?.close();
      release();
    };
    return { gateway, node, deployment, stop, rpcUrl: options.rpcUrl ?? rpcServer!.httpUrl, demo };
  } catch (error) {
    await gateway?.close().catch(() => undefined);
    await rpcServer?.close().catch(() => undefined);
    await node?.close().catch(() => undefined);
    release();
    throw error;
  }
}
