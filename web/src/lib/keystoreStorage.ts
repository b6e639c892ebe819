/**
 * The browser keeps only encrypted v3 keystores (scrypt + AES-128-CTR, src/crypto/keystore.ts):
 * the account key (secp256k1) and the encryption key (X25519), as JSON in localStorage. Decrypted
 * keys live in memory only, for the unlocked session.
 */
import { keystoreSchema, type KeystoreV3 } from '../../../src/crypto/index.ts';

const KEY = 'medchain.keystores.v1';

export interface StoredKeys {
  /** Absent when the user signs with an injected wallet (window.ethereum). */
  account?: KeystoreV3;
  encryption: KeystoreV3;
  /** The account address (wallet users: the wallet's address) — public, for display before unlock. */
  address: string;
}

export function loadStoredKeys(): StoredKeys | undefined {
  const text = localStorage.getItem(KEY);
  if (!text) return undefined;
  try { return parseKeyBundle(JSON.parse(text)); } catch { return undefined; }
}

export function saveStoredKeys(keys: StoredKeys): void {
  localStorage.setItem(KEY, JSON.stringify(keys));
}

export function forgetStoredKeys(): void {
  localStorage.removeItem(KEY);
}

/**
 * Accepts a MedChain key backup (`{ account, encryption, address }`, as the UI downloads it);
 * throws an Error a user can act on otherwise.
 */
export function parseKeyBundle(input: unknown): StoredKeys {
  if (typeof input !== 'object' || input === null) throw new Error('the file is not a JSON object');
  const o = input as Record<string, unknown>;
  if ('version' in o && o.version === 3) {
    throw new Error('this is a single v3 keystore; MedChain needs its backup file holding both the account and the encryption keystore');
  }
  const encryption = keystoreSchema.safeParse(o.encryption);
  if (!encryption.success || encryption.data.medchain?.kind !== 'encryption') throw new Error('the backup has no valid encryption keystore');
  let account: KeystoreV3 | undefined;
  if (o.account !== undefined) {
    const parsed = keystoreSchema.safeParse(o.account);
    if (!parsed.success || !parsed.data.address) throw new Error('the backup has an invalid account keystore');
    account = parsed.data;
  }
  const address = typeof o.address === 'string' ? o.address : account?.address ? `0x${account.address.replace(/^0x/, '')}` : undefined;
  if (!address || !/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error('the backup names no account address');
  return { account, encryption: encryption.data, address };
}

/**
 * A single v3 account keystore (an Ethereum key file, such as `keys/admin.json` that `medchain
 * start` writes), or undefined when the input is something else.
 */
export function parseAccountKeystore(input: unknown): KeystoreV3 | undefined {
  const parsed = keystoreSchema.safeParse(input);
  if (!parsed.success || !parsed.data.address || parsed.data.medchain?.kind === 'encryption') return undefined;
  return parsed.data;
}

/** Test-only knob: a cheaper scrypt cost set in localStorage by the UI test; never below 2^10, never above the default. */
export function scryptCost(): number | undefined {
  const n = Number(localStorage.getItem('medchain.scryptN'));
  return Number.isInteger(n) && n >= 1024 && n <= 2 ** 18 && (n & (n - 1)) === 0 ? n : undefined;
}
