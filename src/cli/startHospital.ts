/**
 * `medchain start --consortium consortium.json --hospital NAME`: one hospital's gateway joining a
 * consortium chain that already runs (Besu QBFT in production; no embedded node, no deploy). The
 * contract addresses and the other hospitals come from consortium.json; this hospital's operator
 * and escrow custodian keys from the keystores `medchain consortium init` wrote to <out>/<NAME>/;
 * the SQL index, blob store and access log live in this hospital's own data directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bytesToHex, createPublicClient, defineChain, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ConsortiumConfigError, defaultEscrowThreshold, hospitalNamed, readConsortiumConfig } from '../consortium/config.ts';
import { decryptKeystore, parseKeystore } from '../crypto/keystore.ts';
import type { CustodianView } from '../gateway/escrow/custodian.ts';
import { custodianId, type CustodianKey } from '../keys/keyRing.ts';
import { GatewayListenError, startGateway, type Gateway } from '../gateway/server.ts';
import { medChainContracts } from '../sdk/contracts.ts';
import { acquireLock, CliError, paths } from './dataDir.ts';
import { loadCustodialKeys } from './custodial.ts';
import { readPassphrase } from './passphrase.ts';
import { openAccountKeystore, openCustodianKeystore } from './roleKeys.ts';

export interface HospitalStartOptions {
  /** consortium.json */
  file: string;
  hospital: string;
  /** Default: the directory of `file` + /NAME. */
  keysDir?: string;
  dataDir: string;
  host: string;
  /** Default: the port of the hospital's gatewayUrl. */
  port?: number;
  /** Default: the hospital's rpcUrl. */
  rpcUrl?: string;
  passphraseFile?: string;
  databaseUrl?: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The custodian keystore: MedChain's custodian file (roleKeys.ts) or a bare v3 keystore of kind 'encryption'. */
async function openCustodian(file: string, passphrase: string, source: string): Promise<CustodianKey> {
  const content = JSON.parse(readFileSync(file, 'utf8')) as { medchain?: unknown };
  if (content.medchain === 'escrow-custodian') return (await openCustodianKeystore(file, { passphrase, source })).key;
  try {
    const { privateKey, publicKey } = await decryptKeystore(parseKeystore(content), passphrase);
    if (!publicKey) throw new Error('not an encryption keystore');
    return { id: custodianId(publicKey), privateKey, publicKey };
  } catch (error) {
    throw new CliError(`cannot open ${file} with ${source}: ${(error as Error).message}`, 1);
  }
}

export async function startHospital(options: HospitalStartOptions, log: (line: string) => void) {
  let config;
  let hospital;
  try {
    config = readConsortiumConfig(options.file);
    hospital = hospitalNamed(config, options.hospital, options.file);
  } catch (error) {
    if (error instanceof ConsortiumConfigError) throw new CliError(error.message, 2);
    throw error;
  }
  // Peer requests are told apart by the signing operator; k of n needs n custodians.
  if (new Set(config.hospitals.map((h) => h.operator)).size !== config.hospitals.length) throw new CliError(`${options.file}: two hospitals share an operator; each needs its own`, 2);
  const threshold = config.escrowThreshold ?? defaultEscrowThreshold(config.hospitals.length);
  if (config.escrowThreshold !== undefined && threshold > config.hospitals.length) throw new CliError(`${options.file}: escrowThreshold ${threshold} exceeds the number of hospitals (${config.hospitals.length})`, 2);
  const keysDir = options.keysDir ?? join(dirname(options.file), hospital.name);
  const operatorFile = join(keysDir, 'operator.json');
  const custodianFile = join(keysDir, 'custodian.json');
  for (const f of [operatorFile, custodianFile]) if (!existsSync(f)) throw new CliError(`no ${f}: pass --keys-dir with the directory consortium init wrote for ${hospital.name}`, 2);

  const release = acquireLock(options.dataDir);
  let gateway: Gateway | undefined;
  try {
    const fromEnv = process.env.MEDCHAIN_CONSORTIUM_PASSPHRASE;
    const passphrase = fromEnv !== undefined && !options.passphraseFile ? fromEnv : await readPassphrase({ file: options.passphraseFile, purpose: `${hospital.name}'s consortium keys` });
    const source = fromEnv !== undefined && !options.passphraseFile ? 'MEDCHAIN_CONSORTIUM_PASSPHRASE' : options.passphraseFile ?? 'the passphrase';
    const operatorKey = await openAccountKeystore(operatorFile, passphrase, source);
    const operator = privateKeyToAccount(operatorKey).address;
    if (operator.toLowerCase() !== hospital.operator.toLowerCase()) throw new CliError(`${operatorFile} holds ${operator}, but ${options.file} names ${hospital.operator} as ${hospital.name}'s operator`, 1);
    const custodian = await openCustodian(custodianFile, passphrase, source);
    if (bytesToHex(custodian.publicKey).toLowerCase() !== hospital.custodianPublicKey.toLowerCase()) {
      throw new CliError(`${custodianFile} does not hold the custodian key ${options.file} publishes for ${hospital.name}`, 1);
    }

    const rpcUrl = options.rpcUrl ?? hospital.rpcUrl;
    const chain = defineChain({ id: config.chainId, name: config.name, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
    const client = createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 2 }) }) as PublicClient;
    const chainId = await client.getChainId().catch((error: Error) => { throw new CliError(`cannot reach the chain at ${rpcUrl} (${error.message.split('\n')[0]}): start this hospital's node or pass --rpc-url`, 1); });
    if (chainId !== config.chainId) throw new CliError(`the chain at ${rpcUrl} reports id ${chainId}, ${options.file} expects ${config.chainId}`, 1);
    for (const [name, address] of Object.entries(config.contracts)) {
      const code = await client.getCode({ address });
      if (!code || code === '0x') throw new CliError(`no contract code at ${address} (${name}) from ${options.file} on ${rpcUrl}: wrong chain, or the consortium chain is not initialised`, 1);
    }
    if (!(await medChainContracts(client, config.contracts).accessLogAnchor.read.isAnchorer([operator]))) {
      log(`Warning: ${hospital.name}'s operator ${operator} is not a registered anchorer on chain: anchoring fails and the other hospitals refuse its requests until an admin calls AccessLogAnchor.setAnchorer.`);
    }

    const peers: CustodianView[] = config.hospitals.filter((h) => h.name !== hospital.name).map((h) => {
      const publicKey = Buffer.from(h.custodianPublicKey.slice(2), 'hex');
      return { id: custodianId(publicKey), publicKey: b64(publicKey), gateway: h.gatewayUrl };
    });
    // EHR integrations whose keys this hospital holds (<data-dir>/custodial/, as for `medchain start`).
    const custodialKeys = await loadCustodialKeys(paths(options.dataDir).custodial, passphrase);
    const port = options.port ?? Number(new URL(hospital.gatewayUrl).port || 80);
    gateway = await startGateway({
      dataDir: paths(options.dataDir).gateway, rpcUrl, databaseUrl: options.databaseUrl, chainId, addresses: config.contracts, operatorKey,
      host: options.host, port, publicUrl: hospital.gatewayUrl, custodialKeys,
      escrow: { custodianKeys: [custodian], threshold, peers },
      peers: { self: hospital.name, hospitals: config.hospitals.map((h) => ({ name: h.name, gatewayUrl: h.gatewayUrl, operator: h.operator })) },
    }).catch((error: unknown) => {
      if (error instanceof GatewayListenError) throw new CliError(`${error.message}: choose another --port`, 1);
      throw error;
    });
    log('');
    log(`MedChain hospital ${hospital.name} of consortium ${config.name} is running.`);
    log(`  gateway          ${gateway.url}  (public ${hospital.gatewayUrl})`);
    log(`  chain JSON-RPC   ${rpcUrl}  (external, chain id ${chainId})`);
    log(`  operator         ${operator} (relays, anchors, signs requests to the other hospitals)`);
    log(`  escrow           ${threshold} of ${config.hospitals.length} hospital custodians (this one holds 1)`);
    log(`  peers            ${config.hospitals.filter((h) => h.name !== hospital.name).map((h) => `${h.name} ${h.gatewayUrl}`).join(', ')}`);
    log(`  data             ${options.dataDir}`);
    const running = gateway;
    return {
      gateway: running, node: undefined, deployment: { addresses: config.contracts }, rpcUrl, demo: undefined,
      async stop() { await running.close(); release(); },
    };
  } catch (error) {
    await gateway?.close().catch(() => undefined);
    release();
    throw error;
  }
}
