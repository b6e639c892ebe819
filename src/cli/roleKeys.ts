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
 * default 2-of-2 escrow, one secret alone then opens no escrowed key. Where each passphrase comes
 * from: ./passphrase.ts; the key types and fresh keys: src/keys/keyRing.ts.
 */
import { readFileSync } from 'node:fs';
import { bytesToHex, type Hex } from 'viem';
import { decryptKeystore, encryptKeystore, parseKeystore, type KeystoreV3 } from '../crypto/keystore.ts';
import { custodianId, randomKey, type CustodianKey } from '../keys/keyRing.ts';
import { CliError, writeFileAtomic } from './dataDir.ts';
import type { Secret } from './passphrase.ts';

/** An account key (secp256k1) in a Web3 v3 keystore. */
export async function createAccountKeystore(file: string, passphrase: string, scryptN?: number): Promise<void> {
  const keystore = await encryptKeystore(randomKey(), passphrase, { scryptN });
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
