/**
 * The data directory of a MedChain installation:
 *
 *   <data-dir>/config.json        settings chosen at init (chain id, ports)
 *   <data-dir>/keys/authority.json  the node's sealing key (Web3 v3 keystore, scrypt)
 *   <data-dir>/keys/admin.json      the first admin's account key (Web3 v3 keystore); governance only,
 *                                   may be moved off the host once the contracts are deployed
 *   <data-dir>/keys/operator.json   the gateway's operator key: relayer, access-log anchorer
 *   <data-dir>/keys/custodian-<i>.json  escrow custodian i's X25519 key, its own passphrase
 *   <data-dir>/keys/custodian-<i>.passphrase  that passphrase, only when none was given (single-host default)
 *   <data-dir>/deployment.json    chain id, contract addresses, deployment block
 *   <data-dir>/chain/             the embedded node's LevelDB
 *   <data-dir>/gateway/           the gateway's SQLite database and blob store
 *   <data-dir>/medchain.lock      pid of the running instance
 *
 * Which passphrase opens which keystore: src/cli/roleKeys.ts. Files are written atomically (temp file, fsync, rename) so a crash never leaves half a file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Address } from 'viem';
import type { MedChainAddresses } from '../sdk/contracts.ts';

export interface Config {
  chainId: number;
  createdAt: string;
  /**
   * Break-glass escrow: how many custodian keystores this host holds, the k of k-of-n (default 2
   * of 2), and in a consortium the other hospitals' custodians ({ id, publicKey (base64), gateway }).
   */
  escrow?: { custodians: number; threshold: number; peers?: Array<{ id: string; publicKey: string; gateway?: string }> };
}
export interface Deployment {
  chainId: number; addresses: MedChainAddresses; deployBlock: string; deployedAt: string; admin: Address; authority: Address;
  /** The operator registered as anchorer; absent in data directories from before separate operator keys (the admin was the operator). */
  operator?: Address;
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}

export function paths(dataDir: string) {
  return {
    dataDir,
    config: join(dataDir, 'config.json'),
    keys: join(dataDir, 'keys'),
    authorityKey: join(dataDir, 'keys', 'authority.json'),
    adminKey: join(dataDir, 'keys', 'admin.json'),
    operatorKey: join(dataDir, 'keys', 'operator.json'),
    custodianKey: (index: number) => join(dataDir, 'keys', `custodian-${index}.json`),
    custodianPassphrase: (index: number) => join(dataDir, 'keys', `custodian-${index}.passphrase`),
    studyComputeKey: join(dataDir, 'keys', 'study-compute.json'),
    deployment: join(dataDir, 'deployment.json'),
    chain: join(dataDir, 'chain'),
    gateway: join(dataDir, 'gateway'),
    custodial: join(dataDir, 'custodial'),
    lock: join(dataDir, 'medchain.lock'),
  };
}

export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try { fsyncSync(dir); } finally { closeSync(dir); }
}

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    throw new CliError(`${path} is not valid JSON; restore it from a backup or remove the data directory`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock: refuses while another live process holds it; takes over a stale one. */
export function acquireLock(dataDir: string): () => void {
  const { lock } = paths(dataDir);
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      fsyncSync(fd);
      closeSync(fd);
      return () => { try { if (readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock); } catch { /* already gone */ } };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new CliError(`another MedChain (pid ${holder}) is already running on ${dataDir}; stop it first or use another --data-dir`, 1);
      }
      unlinkSync(lock); // stale: its process is gone (e.g. killed with -9)
    }
  }
  throw new CliError(`could not lock ${dataDir}`);
}
