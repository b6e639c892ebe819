/**
 * `medchain consortium init`: everything N hospitals need to start one Besu QBFT network with the
 * MedChain contracts from genesis. Writes
 *
 *   <out>/consortium.json            public: chain, contracts, every hospital's identity (./config.ts)
 *   <out>/genesis.json               the QBFT genesis (./qbftGenesis.ts) with the contracts in alloc
 *   <out>/<name>/*.json              that hospital's encrypted keystores (./hospitalKeys.ts)
 *   <out>/<name>/besu/               config.toml, permissions_config.toml, static-nodes.json, genesis.json
 *   <out>/<name>/docker-compose.yml  its Besu node (./besuNodeFiles.ts)
 *
 * N ≥ 4: QBFT, like every BFT protocol, needs n ≥ 3f + 1 validators to tolerate f faulty ones;
 * with fewer than 4, one stopped (or lying) validator already halts (or may fork) the chain.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress } from 'viem';
import { writeFileAtomic } from '../cli/dataDir.ts';
import { consortiumSchema, hospitalName, type ConsortiumConfig } from './config.ts';
import { createHospitalKeys, type HospitalKeys } from './hospitalKeys.ts';
import { predeployMedChain } from './predeploy.ts';
import { qbftGenesis } from './qbftGenesis.ts';
import { BESU_VERSION, besuConfigToml, dockerCompose, permissionsConfigToml, staticNodesJson, type BesuNodeParams } from './besuNodeFiles.ts';

/** QBFT's minimum for Byzantine fault tolerance: n = 3f + 1 with f = 1. */
export const MIN_HOSPITALS = 4;

export interface InitOptions {
  out: string;
  hospitals: string[];
  name?: string;
  chainId?: number;
  blockPeriodSeconds?: number;
  requestTimeoutSeconds?: number;
  epochLength?: number;
  /** `http://host:port` (port + i for hospital i) or a template with `{name}`. */
  gatewayUrlBase?: string;
  /** Same rule, for each hospital's Besu JSON-RPC. */
  rpcUrlBase?: string;
  /** The host each node is reached at by the others, one per hospital (default 127.0.0.1 for all). */
  p2pHosts?: string[];
  p2pPortBase?: number;
  accreditationThreshold?: number;
  adminThreshold?: number;
  passphrase: string;
  scryptN?: number;
  log?: (line: string) => void;
}

/** Bad init options: a usage error with what to change. */
export class ConsortiumInitError extends Error {
  constructor(message: string) { super(message); this.name = 'ConsortiumInitError'; }
}

/** Hospital i's URL from a base: `{name}` is replaced; otherwise the base's port is advanced by i. */
export function urlFor(base: string, name: string, index: number): string {
  if (base.includes('{name}')) return base.replaceAll('{name}', name);
  let url: URL;
  try { url = new URL(base); } catch { throw new ConsortiumInitError(`not a URL: ${base}`); }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  url.port = String(port + index);
  return url.toString().replace(/\/$/, '');
}

const majority = (n: number) => Math.floor(n / 2) + 1;

export async function initConsortium(options: InitOptions): Promise<ConsortiumConfig> {
  const log = options.log ?? (() => {});
  const names = options.hospitals;
  for (const name of names) {
    const ok = hospitalName.safeParse(name);
    if (!ok.success) throw new ConsortiumInitError(`hospital name "${name}": ${ok.error.issues[0]!.message}`);
  }
  if (new Set(names).size !== names.length) throw new ConsortiumInitError('hospital names must be unique');
  if (names.length < MIN_HOSPITALS) {
    throw new ConsortiumInitError(`a consortium needs at least ${MIN_HOSPITALS} hospitals: QBFT tolerates f faulty validators out of 3f + 1, so fewer than 4 tolerate none (got ${names.length})`);
  }
  const n = names.length;
  const accreditationThreshold = options.accreditationThreshold ?? majority(n);
  const adminThreshold = options.adminThreshold ?? majority(n);
  for (const [what, t] of [['accreditation threshold', accreditationThreshold], ['admin threshold', adminThreshold]] as const) {
    if (!Number.isInteger(t) || t < 1 || t > n) throw new ConsortiumInitError(`the ${what} must be between 1 and ${n} (the number of hospital admins), got ${t}`);
  }
  const p2pHosts = options.p2pHosts ?? names.map(() => '127.0.0.1');
  if (p2pHosts.length !== n) throw new ConsortiumInitError(`--p2p-hosts lists ${p2pHosts.length} hosts for ${n} hospitals`);
  const chainId = options.chainId ?? 4242;
  const engine = {
    kind: 'besu-qbft' as const, besuVersion: BESU_VERSION,
    blockPeriodSeconds: options.blockPeriodSeconds ?? 2, requestTimeoutSeconds: options.requestTimeoutSeconds ?? 4, epochLength: options.epochLength ?? 30000,
  };
  for (const existing of [join(options.out, 'consortium.json'), ...names.map((name) => join(options.out, name))]) {
    if (existsSync(existing)) throw new ConsortiumInitError(`${existing} exists: init never overwrites a consortium's keys; choose another --out`);
  }

  const keys: HospitalKeys[] = [];
  for (const [i, name] of names.entries()) {
    log(`Creating the keys of hospital "${name}" (validator, operator, admin, custodian) in ${join(options.out, name)}`);
    keys.push(await createHospitalKeys(join(options.out, name), options.passphrase, i, options.scryptN));
  }

  log(`Deploying the MedChain contracts on a scratch chain (chain id ${chainId}) and dumping them into the genesis alloc`);
  const { addresses, alloc } = await predeployMedChain({
    chainId, admins: keys.map((k) => k.admin), operators: keys.map((k) => k.operator), validators: keys.map((k) => k.validator),
    accreditationThreshold, adminThreshold, adminKeys: keys.map((k) => k.adminKey),
  });
  const contracts = Object.fromEntries(Object.entries(addresses).map(([k, a]) => [k, getAddress(a)])) as unknown as typeof addresses;
  const genesis = qbftGenesis({ chainId, ...engine, validatorContract: contracts.incentives, alloc });
  const genesisText = `${JSON.stringify(genesis, null, 2)}\n`;
  writeFileAtomic(join(options.out, 'genesis.json'), genesisText, 0o644);

  const p2pPortBase = options.p2pPortBase ?? 30303;
  const enodes = keys.map((k, i) => `enode://${k.nodeId}@${p2pHosts[i]}:${p2pPortBase + i}`);
  const hospitals = names.map((name, i) => ({
    name,
    gatewayUrl: urlFor(options.gatewayUrlBase ?? 'http://127.0.0.1:8101', name, i),
    rpcUrl: urlFor(options.rpcUrlBase ?? 'http://127.0.0.1:8545', name, i),
    validator: keys[i]!.validator, operator: keys[i]!.operator, custodianPublicKey: keys[i]!.custodianPublicKey,
    enode: enodes[i]!, admin: keys[i]!.admin,
  }));
  for (const [i, hospital] of hospitals.entries()) {
    const params: BesuNodeParams = {
      hospital: hospital.name, p2pHost: p2pHosts[i]!, p2pPort: p2pPortBase + i,
      rpcPort: Number(new URL(hospital.rpcUrl).port || 8545), enodes, ownEnode: hospital.enode,
    };
    const dir = join(options.out, hospital.name);
    writeFileAtomic(join(dir, 'besu', 'genesis.json'), genesisText, 0o644);
    writeFileAtomic(join(dir, 'besu', 'config.toml'), besuConfigToml(params), 0o644);
    writeFileAtomic(join(dir, 'besu', 'permissions_config.toml'), permissionsConfigToml(params), 0o644);
    writeFileAtomic(join(dir, 'besu', 'static-nodes.json'), staticNodesJson(params), 0o644);
    writeFileAtomic(join(dir, 'docker-compose.yml'), dockerCompose(params), 0o644);
  }
  const config = consortiumSchema.parse({
    version: 1, name: options.name ?? 'medchain', chainId, engine, contracts, validatorContract: contracts.incentives,
    governance: { accreditationThreshold, adminThreshold }, hospitals,
  });
  writeFileAtomic(join(options.out, 'consortium.json'), `${JSON.stringify(config, null, 2)}\n`, 0o644);
  log(`Wrote ${join(options.out, 'consortium.json')} and ${join(options.out, 'genesis.json')} (Besu ${BESU_VERSION}, QBFT, validators from Incentives ${contracts.incentives})`);
  return config;
}
