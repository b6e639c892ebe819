/**
 * `medchain start`: the embedded node, the contracts (deployed on first run), the gateway and the
 * web UI — on embedded defaults, with the data kept in the data directory between runs. `--rpc-url`
 * uses an external chain (a consortium network) instead of the embedded node.
 */
import { existsSync } from 'node:fs';
import { createPublicClient, createWalletClient, custom, defineChain, http, type Address, type Chain, type Hex, type PublicClient, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createNode, type MedChainNode } from '../chain/node.ts';
import { deployMedChain, medChainContracts, type MedChainAddresses } from '../sdk/contracts.ts';
import { legacyCustodianKeys, newCustodianKey, type CustodianKey } from '../keys/keyRing.ts';
import { GatewayListenError, startGateway, type Gateway } from '../gateway/server.ts';
import { acquireLock, CliError, paths, readJson, writeFileAtomic, type Config, type Deployment } from './dataDir.ts';
import { assertSeparateCustodianSecrets, custodianPassphrase, operatorPassphrase, readPassphrase, type RolePassphraseOptions, type Secret } from './passphrase.ts';
import { createAccountKeystore, createCustodianKeystore, openAccountKeystore, openCustodianKeystore } from './roleKeys.ts';
import { openStudyComputeKeystore } from './studyComputeKey.ts';
import { loadCustodialKeys } from './custodial.ts';
import { demoLoginLines, readDemoSummary, type DemoSummary } from './demo/summary.ts';

export interface StartOptions extends RolePassphraseOptions {
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
  /** Bytes of hot ciphertext the gateway keeps in memory (default 64 MiB, 0 = off). */
  blobCacheBytes?: number;
}

/** Escrow custodians a data directory had before they got keystores of their own (the old default). */
const LEGACY_CUSTODIANS = 2;

/**
 * Creates the data directory's keys and config on first run (and the keystores of roles added
 * since: operator, custodians); opens each keystore with its own passphrase; returns the keys.
 */
export async function initDataDir(options: Pick<StartOptions, 'dataDir' | 'passphraseFile' | 'chainId' | 'scryptN' | keyof RolePassphraseOptions>, log: (line: string) => void) {
  const p = paths(options.dataDir);
  const firstRun = !existsSync(p.authorityKey);
  const passphrase = await readPassphrase({ file: options.passphraseFile, confirm: firstRun, purpose: firstRun ? 'the new MedChain keys' : 'the MedChain keys' });
  if (firstRun) {
    log('First run: creating the authority (block sealing) key and the first admin key, encrypted with your passphrase…');
    for (const [file, kind] of [[p.authorityKey, 'authority'], [p.adminKey, 'admin']] as const) {
      await createAccountKeystore(file, passphrase, options.scryptN);
      log(`  ${kind} key: ${file}`);
    }
    writeFileAtomic(p.config, JSON.stringify({ chainId: options.chainId ?? 1337, createdAt: new Date().toISOString(), escrow: { custodians: 2, threshold: 2 } } satisfies Config, null, 2));
  }
  const config = readJson<Config>(p.config) ?? { chainId: options.chainId ?? 1337, createdAt: new Date().toISOString() };
  const escrow = config.escrow ?? { custodians: LEGACY_CUSTODIANS, threshold: 2 };
  const total = escrow.custodians + (escrow.peers?.length ?? 0);
  if (!Number.isInteger(escrow.custodians) || escrow.custodians < 0 || !Number.isInteger(escrow.threshold) || escrow.threshold < 2 || escrow.threshold > total) {
    throw new CliError(`${p.config}: escrow needs 2 <= threshold <= custodians + peers (got threshold ${escrow.threshold} of ${total})`, 2);
  }
  const authorityKey = await openAccountKeystore(p.authorityKey, passphrase);
  // Governance only: needed to deploy, to seed the demo and to register a new operator; the rest of
  // the time it may live elsewhere (docs/gateway.md).
  const adminKey = existsSync(p.adminKey) ? await openAccountKeystore(p.adminKey, passphrase) : undefined;
  // Before separate operator keys, the admin key was the gateway's operator and the custodian keys
  // were derived from it: such a directory is migrated once, with the admin key (start() registers
  // the new operator on chain).
  const deployment = readJson<Deployment>(p.deployment);
  const migrating = deployment !== undefined && deployment.operator === undefined;
  if (migrating && !adminKey) {
    throw new CliError(`${p.deployment} predates separate operator keys: put keys/admin.json back for one start, which creates and registers the operator key`, 1);
  }

  const operatorSecret = operatorPassphrase(options, passphrase);
  if (!existsSync(p.operatorKey)) {
    await createAccountKeystore(p.operatorKey, operatorSecret.passphrase, options.scryptN);
    log(`${migrating ? 'Migrating to separate keys: c' : 'C'}reating the gateway's operator key (relayer, access-log anchoring), encrypted with ${operatorSecret.source}: ${p.operatorKey}`);
  }
  const operatorKey = await openAccountKeystore(p.operatorKey, operatorSecret.passphrase, operatorSecret.source);

  const legacy = migrating ? legacyCustodianKeys(adminKey!, LEGACY_CUSTODIANS) : [];
  const custodianKeys: CustodianKey[] = [];
  const legacyKeys: CustodianKey[] = [];
  // Each custodian's own passphrase, checked to be its own before any keystore is made or opened.
  const custodianSecrets: Array<Secret & { stored: boolean }> = [];
  for (let i = 0; i < escrow.custodians; i++) custodianSecrets.push(custodianPassphrase(i, options, p.custodianPassphrase(i), !existsSync(p.custodianKey(i))));
  assertSeparateCustodianSecrets(custodianSecrets, [{ passphrase, source: '', role: 'data directory' }, { ...operatorSecret, role: 'operator' }]);
  const storedSecrets = custodianSecrets.filter((s) => s.stored).map((s) => s.source);
  for (const [i, secret] of custodianSecrets.entries()) {
    const file = p.custodianKey(i);
    if (!existsSync(file)) {
      await createCustodianKeystore(file, i, newCustodianKey(), secret.passphrase, { scryptN: options.scryptN, legacy: legacy[i] });
      log(`Creating escrow custodian ${i}'s key, encrypted with ${secret.stored ? `a generated passphrase in ${secret.source}` : secret.source}: ${file}${legacy[i] ? ' (with the legacy key of the shares deposited before)' : ''}`);
    }
    const opened = await openCustodianKeystore(file, secret);
    custodianKeys.push(opened.key);
    legacyKeys.push(...opened.legacy);
  }
  if (storedSecrets.length > 0) {
    log(`Note: escrow custodian passphrases are stored on this host (${storedSecrets.join(', ')}): anyone who copies keys/ can open escrowed keys. Move them to their holders and pass them with --custodian-passphrase-file (docs/crypto.md).`);
  }
  const custodialKeys = await loadCustodialKeys(p.custodial, passphrase);
  const studyComputeKey = await openStudyComputeKeystore(p.studyComputeKey, operatorSecret, { scryptN: options.scryptN, log });
  return {
    authorityKey, adminKey, operatorKey, config, firstRun, custodialKeys, migrating, research: { computeKeys: [studyComputeKey] },
    escrow: { custodianKeys, legacyKeys, threshold: escrow.threshold, peers: escrow.peers },
  };
}

/** Registers the operator as the access-log anchorer (AccessLogAnchor.setAnchorer) with the admin key. */
async function registerOperator(client: PublicClient, transport: Transport, chain: Chain, addresses: MedChainAddresses, adminKey: Hex, operator: Address): Promise<void> {
  const wallet = createWalletClient({ account: privateKeyToAccount(adminKey), chain, transport });
  const hash = await medChainContracts(wallet, addresses).accessLogAnchor.write.setAnchorer([operator, true]);
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== 'success') throw new CliError(`registering the operator ${operator} as anchorer failed (transaction ${hash} reverted)`);
}

/** A port someone else holds: one line naming it and the option that changes it. */
function listenFailure(error: unknown, what: string, host: string, port: number, option: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new CliError(`${what} port ${port} on ${host} is already in use: stop what listens there or choose another ${option}`, 1);
  if (code === 'EACCES') return new CliError(`no permission to listen on ${host}:${port} (${what}): choose a port above 1023 with ${option}`, 1);
  if (code === 'EADDRNOTAVAIL') return new CliError(`${host} is not an address of this machine (${what}): check --host`, 1);
  return error;
}

export async function start(options: StartOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  const release = acquireLock(options.dataDir);
  let node: MedChainNode | undefined;
  let gateway: Gateway | undefined;
  let rpcServer: { close(): Promise<void>; httpUrl: string } | undefined;
  try {
    const p = paths(options.dataDir);
    const { authorityKey, adminKey, operatorKey, config, custodialKeys, escrow, research } = await initDataDir(options, log);
    const operator = privateKeyToAccount(operatorKey).address;
    const chainId = config.chainId;
    let transport: Transport;
    let provider: MedChainNode | undefined;
    if (options.rpcUrl) {
      transport = http(options.rpcUrl, { retryCount: 2 });
    } else {
      // Production sealing with the authority key; gas is free, so only allowlisted accounts may send:
      // the admin and the operator from genesis, others once registered (the gateway relays signed
      // registrations and admits them: routes/onboarding.ts). A data directory keeps the mode it was created with.
      const genesisSenders = [operator, ...(adminKey ? [privateKeyToAccount(adminKey).address] : [])];
      node = await createNode({ dataDir: p.chain, chainId, mode: 'production', authorityKey, permissioning: { mode: 'allowlist', accounts: genesisSenders } });
      // The operator relays and anchors: on a chain allowlisted before it existed (a migrated data
      // directory), admit it now.
      if (!node.chain.isAllowed(operator)) await node.chain.setAllowed([operator], true);
      provider = node;
      transport = custom(node, { retryCount: 0 });
      rpcServer = await node.listen({ host: options.host, port: options.rpcPort }).catch((error: unknown) => {
        throw listenFailure(error, 'the chain JSON-RPC', options.host, options.rpcPort, '--rpc-port');
      });
    }
    const chain = defineChain({ id: chainId, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl ?? rpcServer!.httpUrl] } } });
    const client = createPublicClient({ chain, transport, pollingInterval: 200 }) as PublicClient;
    const remoteChainId = await client.getChainId();
    if (remoteChainId !== chainId && !options.rpcUrl) throw new CliError(`the chain reports id ${remoteChainId}, the data directory expects ${chainId}`);

    let deployment = readJson<Deployment>(p.deployment);
    const migrating = deployment !== undefined && deployment.operator === undefined;
    if (deployment) {
      for (const [name, address] of Object.entries(deployment.addresses)) {
        const code = await client.getCode({ address });
        if (!code || code === '0x') throw new CliError(`no contract code at ${address} (${name}) recorded in ${p.deployment}: wrong chain or data directory`);
      }
    } else {
      if (!adminKey) throw new CliError(`nothing is deployed yet and ${p.adminKey} is not here: the first start deploys with the admin key`, 1);
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
    if (deployment.operator?.toLowerCase() !== operator.toLowerCase()) {
      // New deployment, a data directory whose admin key was the operator, or a replaced operator
      // keystore: the admin registers this operator as the access-log anchorer (initDataDir made
      // sure the admin key is here when the deployment predates separate operator keys).
      if (!adminKey) throw new CliError(`${p.operatorKey} (${operator}) is not the operator registered in ${p.deployment}: put keys/admin.json back for one start to register it`, 1);
      await registerOperator(client, transport, chain, deployment.addresses, adminKey, operator);
      if (migrating) {
        log(`Migrated: the gateway now relays and anchors with its own operator key ${operator} (registered as anchorer), not with the admin key;`);
        log('escrow custodians have keystores of their own (keys/custodian-*.json). The admin key may now leave this host (docs/gateway.md).');
      } else log(`  operator ${operator} registered as the access-log anchorer`);
      deployment = { ...deployment, operator };
      writeFileAtomic(p.deployment, JSON.stringify(deployment, null, 2));
    } else if (!(await medChainContracts(client, deployment.addresses).accessLogAnchor.read.isAnchorer([operator]))) {
      log(`Warning: the operator ${operator} is no longer a registered anchorer: access-log anchoring fails until an admin calls AccessLogAnchor.setAnchorer.`);
    }

    // Consent transactions (revocations) are sealed first, whatever else waits (docs/chain.md).
    node?.chain.setPriorityTargets([deployment.addresses.consent]);
    const gatewayOptions = {
      dataDir: p.gateway, provider, rpcUrl: options.rpcUrl, databaseUrl: options.databaseUrl,
      chainId: remoteChainId, addresses: deployment.addresses, operatorKey, deployBlock: BigInt(deployment.deployBlock),
      custodialKeys, escrow, research, storage: options.blobCacheBytes === undefined ? undefined : { blobCacheBytes: options.blobCacheBytes },
    };
    let demo: DemoSummary | undefined;
    if (options.demo) {
      demo = readDemoSummary(options.dataDir);
      if (demo) log(`Demo hospital already seeded (${demo.seededAt}); not seeding again.`);
      else {
        if (!provider) throw new CliError('--demo seeds the embedded node; it cannot be combined with --rpc-url', 2);
        if (!adminKey) throw new CliError(`--demo accredits the demo providers with the admin key: ${p.adminKey} is not here`, 1);
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
    gateway = await startGateway({ ...gatewayOptions, host: options.host, port: options.port }).catch((error: unknown) => {
      throw error instanceof GatewayListenError ? listenFailure(error.cause, 'the gateway', options.host, options.port, '--port') : error;
    });
    log('');
    log(`MedChain is running.`);
    log(`  web UI and API   ${gateway.url}`);
    if (rpcServer) log(`  chain JSON-RPC   ${rpcServer.httpUrl}  (chain id ${remoteChainId})`);
    else log(`  chain JSON-RPC   ${options.rpcUrl}  (external, chain id ${remoteChainId})`);
    log(`  admin account    ${deployment.admin}${adminKey ? '' : ' (key not on this host)'}`);
    log(`  operator         ${operator} (relays signed consent, anchors the access log)`);
    log(`  escrow           ${escrow.threshold} of ${escrow.custodianKeys.length + (escrow.peers?.length ?? 0)} custodians (${escrow.custodianKeys.length} here), each its own keystore${escrow.legacyKeys.length ? ` (+${escrow.legacyKeys.length} migrated legacy keys)` : ''}`);
    if (custodialKeys.length > 0) log(`  custodial        ${custodialKeys.map((k) => k.address).join(', ')} (FHIR encrypts and decrypts for them)`);
    log(`  data             ${options.dataDir}`);
    log('');
    log('Next: open the web UI, create a keystore and register as a patient; the admin key is in');
    log(`${p.adminKey} (import it in the UI to accredit providers; it need not stay on this host). Stop with Ctrl-C.`);
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
