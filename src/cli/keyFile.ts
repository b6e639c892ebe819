/**
 * Key files of the acting identity. The CLI writes the same backup the web UI downloads and
 * imports — `{ address, account, encryption }`, two Web3 v3 keystores (secp256k1 account key,
 * X25519 encryption key), scrypt-encrypted with the user's passphrase — so a key made here opens in
 * the browser and back. After `keys rotate` the retired encryption keys stay in `previousEncryption`
 * (the UI ignores that member) so records wrapped to them still open. A bare v3 account keystore
 * (e.g. the data directory's admin.json) is accepted too, for commands that never decrypt records.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { decryptKeystore, encryptKeystore, generateEncryptionKeyPair, keystoreSchema, type KeystoreV3 } from '../crypto/index.ts';
import { CliError, paths, writeFileAtomic } from './dataDir.ts';
import { nativeScrypt } from './nativeScrypt.ts';
import { readPassphrase } from './passphrase.ts';

export interface KeyBundleFile {
  address: Address;
  account: KeystoreV3;
  encryption?: KeystoreV3;
  previousEncryption?: KeystoreV3[];
}

export interface UnlockedKey {
  file: string;
  address: Address;
  account: PrivateKeyAccount;
  privateKey: Hex;
  /** Current X25519 key first, then retired ones (newest first). */
  encryption: Array<{ privateKey: Uint8Array; publicKey: Uint8Array }>;
}

const hex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString('hex')}`;

/**
 * The key file a `--key` value names: a path, or a name in the data directory's keys folder
 * (`--key alice` → <data-dir>/keys/alice.json).
 */
export function resolveKeyFile(value: string, dataDir: string): string {
  if (existsSync(value)) return value;
  const named = join(paths(dataDir).keys, value.endsWith('.json') ? value : `${value}.json`);
  if (/^[\w.-]+$/.test(value) && existsSync(named)) return named;
  throw new CliError(`no key file ${JSON.stringify(value)} (neither a file nor a key name in ${paths(dataDir).keys})`, 2);
}

/** Where `keys new <name>` writes: a path when it looks like one, else <data-dir>/keys/<name>.json. */
export function keyFileFor(nameOrPath: string, dataDir: string): string {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return nameOrPath;
  if (!/^[\w.-]+$/.test(nameOrPath)) throw new CliError(`a key name is letters, digits, '.', '_' or '-'; got ${JSON.stringify(nameOrPath)}`, 2);
  return join(paths(dataDir).keys, `${nameOrPath}.json`);
}

export function readKeyBundle(file: string): KeyBundleFile {
  let parsed: unknown;
  try { parsed = JSON.parse(readFileSync(file, 'utf8')); } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no key file ${file}`, 2);
    throw new CliError(`${file} is not a key file (not JSON)`);
  }
  const o = parsed as Record<string, unknown>;
  if (o.version === 3) {
    const account = keystoreSchema.safeParse(o);
    if (!account.success || !account.data.address) throw new CliError(`${file} is not an account keystore`);
    return { address: `0x${account.data.address.replace(/^0x/, '')}` as Address, account: account.data };
  }
  const account = keystoreSchema.safeParse(o.account);
  const encryption = keystoreSchema.safeParse(o.encryption);
  if (!account.success || !account.data.address) throw new CliError(`${file} is not a MedChain key file (no account keystore)`);
  if (o.encryption !== undefined && (!encryption.success || encryption.data.medchain?.kind !== 'encryption')) throw new CliError(`${file} has an invalid encryption keystore`);
  const previous = Array.isArray(o.previousEncryption) ? o.previousEncryption.map((k) => keystoreSchema.parse(k)) : undefined;
  return { address: `0x${account.data.address.replace(/^0x/, '')}` as Address, account: account.data, encryption: encryption.success ? encryption.data : undefined, previousEncryption: previous };
}

export async function unlockBundle(file: string, bundle: KeyBundleFile, passphrase: string): Promise<UnlockedKey> {
  const open = async (ks: KeystoreV3) => {
    try { return await decryptKeystore(ks, passphrase, { scrypt: nativeScrypt }); } catch (error) {
      throw new CliError(`cannot open ${file}: ${(error as Error).message}`);
    }
  };
  // All keystores at once: native scrypt runs on the thread pool, one per core.
  const encryptionKeystores = [bundle.encryption, ...(bundle.previousEncryption ?? [])].filter((ks): ks is KeystoreV3 => ks !== undefined);
  const [account, ...opened] = await Promise.all([open(bundle.account), ...encryptionKeystores.map(open)]);
  const privateKey = hex(account!.privateKey);
  const encryption = opened.map((k) => ({ privateKey: k.privateKey, publicKey: k.publicKey! }));
  const signer = privateKeyToAccount(privateKey);
  return { file, address: signer.address, account: signer, privateKey, encryption };
}

/** Opens the key file named by --key / MEDCHAIN_KEY with the passphrase (file, env or prompt). */
export async function unlockKey(options: { key?: string; dataDir: string; passphraseFile?: string }): Promise<UnlockedKey> {
  if (!options.key) throw new CliError('this command acts as an account: pass --key <key file or name> (or set MEDCHAIN_KEY)', 2);
  const file = resolveKeyFile(options.key, options.dataDir);
  const bundle = readKeyBundle(file);
  const passphrase = await readPassphrase({ file: options.passphraseFile, purpose: file });
  return unlockBundle(file, bundle, passphrase);
}

/** A new bundle for an account key (fresh X25519 encryption key unless one is given). */
export async function newBundle(accountKey: Uint8Array, passphrase: string, scryptN?: number, encryptionKey?: Uint8Array): Promise<KeyBundleFile> {
  const account = await encryptKeystore(accountKey, passphrase, { scryptN });
  const enc = encryptionKey ?? generateEncryptionKeyPair().privateKey;
  const encryption = await encryptKeystore(enc, passphrase, { scryptN, kind: 'encryption' });
  return { address: `0x${account.address!}` as Address, account, encryption };
}

export function writeKeyBundle(file: string, bundle: KeyBundleFile, overwrite = false): void {
  if (!overwrite && existsSync(file)) throw new CliError(`${file} already exists; choose another name or remove it first`);
  writeFileAtomic(file, `${JSON.stringify(bundle, null, 2)}\n`);
}
