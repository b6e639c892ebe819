/**
 * One keystore per role, each opened with its own passphrase, so that no single secret on the
 * gateway host opens escrowed data keys (finding 4 of issue 13; the trust model is in docs/crypto.md):
 *
 *   keys/authority.json        seals blocks                  the data directory's passphrase
 *   keys/admin.json            governance: deploys, accredits, registers the operator
 *                              the data directory's passphrase; may leave the host after deployment
 *   keys/operator.json         relays signed consent, anchors the access log
 *                              --operator-passphrase-file, MEDCHAIN_OPERATOR_PASSPHRASE(_FILE),
 *                              else the data directory's passphrase
 *   keys/custodian-<i>.json    escrow custodian i (an X25519 key; it opens share i of every escrow)
 *                              the i-th file of --custodian-passphrase-file a,b, MEDCHAIN_CUSTODIAN_<i>_PASSPHRASE(_FILE),
 *                              else keys/custodian-<i>.passphrase (generated at creation when none was given)
 *
 * Custodian passphrases must differ from each other and from the other roles' passphrases: with the
 * default 2-of-2 escrow, one secret alone then opens no escrowed key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { bytesToHex, type Hex } from 'viem';
import { decryptKeystore, encryptKeystore, parseKeystore, type KeystoreV3 } from '../crypto/keystore.ts';
import { custodianId, type CustodianKey } from '../gateway/escrow/custodian.ts';
import { CliError, writeFileAtomic } from './dataDir.ts';

export interface RolePassphraseOptions {
  operatorPassphraseFile?: string;
  /** One file per custodian, in index order. */
  custodianPassphraseFiles?: string[];
}

/** A passphrase and where it came from (for messages; never the passphrase itself). */
export interface Secret { passphrase: string; source: string }

function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new CliError(`cannot read ${what} from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
  if (text.length < 8) throw new CliError(`${what} in ${file} must hold at least 8 characters`, 2);
  return text;
}

function fromEnv(name: string, what: string): Secret | undefined {
  const value = process.env[name];
  if (value !== undefined) {
    if (value.length < 8) throw new CliError(`${name} must be at least 8 characters`, 2);
    return { passphrase: value, source: name };
  }
  const file = process.env[`${name}_FILE`];
  return file === undefined ? undefined : { passphrase: readSecretFile(file, what), source: `${name}_FILE` };
}

/** The operator keystore's passphrase: its own source, else the data directory's passphrase. */
export function operatorPassphrase(options: RolePassphraseOptions, dataDirPassphrase: string): Secret {
  if (options.operatorPassphraseFile) return { passphrase: readSecretFile(options.operatorPassphraseFile, 'the operator passphrase'), source: '--operator-passphrase-file' };
  return fromEnv('MEDCHAIN_OPERATOR_PASSPHRASE', 'the operator passphrase') ?? { passphrase: dataDirPassphrase, source: 'the data directory passphrase' };
}

/**
 * Custodian i's passphrase from its own source; when it has none and its keystore is being created,
 * a random one is generated into `storedFile` (single-host default, reported by the caller).
 */
export function custodianPassphrase(index: number, options: RolePassphraseOptions, storedFile: string, creating: boolean): Secret & { stored: boolean } {
  const what = `custodian ${index}'s passphrase`;
  const file = options.custodianPassphraseFiles?.[index];
  if (file) return { passphrase: readSecretFile(file, what), source: '--custodian-passphrase-file', stored: false };
  const env = fromEnv(`MEDCHAIN_CUSTODIAN_${index}_PASSPHRASE`, what);
  if (env) return { ...env, stored: false };
  if (existsSync(storedFile)) return { passphrase: readSecretFile(storedFile, what), source: storedFile, stored: true };
  if (!creating) {
    throw new CliError(`no passphrase for escrow custodian ${index}: pass --custodian-passphrase-file (file ${index + 1} of the list), set MEDCHAIN_CUSTODIAN_${index}_PASSPHRASE(_FILE), or put it in ${storedFile}`, 2);
  }
  const generated = randomBytes(32).toString('base64url');
  writeFileAtomic(storedFile, `${generated}\n`);
  return { passphrase: generated, source: storedFile, stored: true };
}

/** Refuses passphrases that one secret would share: each custodian's must be its own. */
export function assertSeparateCustodianSecrets(custodians: Secret[], others: Array<Secret & { role: string }>): void {
  custodians.forEach((c, i) => {
    const j = custodians.findIndex((d, k) => k < i && d.passphrase === c.passphrase);
    if (j >= 0) throw new CliError(`escrow custodians ${j} and ${i} have the same passphrase: one secret would open every escrowed key; give each custodian its own (see docs/crypto.md)`, 2);
    const other = others.find((o) => o.passphrase === c.passphrase);
    if (other) throw new CliError(`escrow custodian ${i}'s passphrase is the same as the ${other.role}'s: give each custodian its own (see docs/crypto.md)`, 2);
  });
}

/** An account key (secp256k1) in a Web3 v3 keystore. */
export async function createAccountKeystore(file: string, passphrase: string, scryptN?: number): Promise<void> {
  const keystore = await encryptKeystore(randomBytes(32), passphrase, { scryptN });
  writeFileAtomic(file, JSON.stringify(keystore, null, 2));
}

export async function openAccountKeystore(file: string, passphrase: string, source = 'the data directory passphrase'): Promise<Hex> {
  try {
    const { privateKey } = await decryptKeystore(JSON.parse(readFileSync(file, 'utf8')), passphrase);
    return bytesToHex(privateKey);
  } catch (error) {
    throw new CliError(`cannot open ${file} with ${source}: ${(error as Error).message}`, 1);
  }
}

/**
 * A custodian keystore: the custodian's X25519 key (a v3 keystore of kind 'encryption'), and for a
 * migrated data directory the legacy key whose shares were deposited before the migration.
 */
interface CustodianFile {
  medchain: 'escrow-custodian';
  version: 1;
  index: number;
  id: string;
  keystore: KeystoreV3;
  legacy?: Array<{ id: string; keystore: KeystoreV3 }>;
}

export async function createCustodianKeystore(file: string, index: number, key: CustodianKey, passphrase: string, options: { scryptN?: number; legacy?: CustodianKey }): Promise<void> {
  const seal = (k: CustodianKey) => encryptKeystore(k.privateKey, passphrase, { scryptN: options.scryptN, kind: 'encryption' });
  const content: CustodianFile = {
    medchain: 'escrow-custodian', version: 1, index, id: key.id, keystore: await seal(key),
    ...(options.legacy ? { legacy: [{ id: options.legacy.id, keystore: await seal(options.legacy) }] } : {}),
  };
  writeFileAtomic(file, JSON.stringify(content, null, 2));
}

export async function openCustodianKeystore(file: string, secret: Secret): Promise<{ key: CustodianKey; legacy: CustodianKey[] }> {
  let content: CustodianFile;
  try {
    content = JSON.parse(readFileSync(file, 'utf8')) as CustodianFile;
    if (content.medchain !== 'escrow-custodian') throw new Error('not an escrow custodian keystore');
  } catch (error) {
    throw new CliError(`${file} is not an escrow custodian keystore (${(error as Error).message}); restore it from a backup`, 1);
  }
  const open = async (id: string, keystore: unknown): Promise<CustodianKey> => {
    try {
      const { privateKey, publicKey } = await decryptKeystore(parseKeystore(keystore), secret.passphrase);
      return { id, privateKey, publicKey: publicKey! };
    } catch (error) {
      throw new CliError(`cannot open ${file} with ${secret.source}: ${(error as Error).message}`, 1);
    }
  };
  const key = await open(content.id, content.keystore);
  if (custodianId(key.publicKey) !== content.id) throw new CliError(`${file}: the key does not match its id ${content.id}; restore it from a backup`, 1);
  return { key, legacy: await Promise.all((content.legacy ?? []).map((l) => open(l.id, l.keystore))) };
}
