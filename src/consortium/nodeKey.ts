/**
 * `medchain consortium node-key`: writes Besu's node key file at deployment. Besu reads its node
 * key as a plain hex file (`--node-private-key-file`, Besu docs "Node keys"); until a node is
 * deployed the key rests only in the encrypted validator.json. The file is written 0600 next to
 * the compose file (`<keys-dir>/keys/key`, mounted read-only into the container).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, type Address } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { decryptKeystore } from '../crypto/keystore.ts';
import { writeFileAtomic } from '../cli/dataDir.ts';
import type { HospitalConfig } from './config.ts';
import { HOSPITAL_KEY_FILES, nodeIdOf } from './hospitalKeys.ts';

/** The validator keystore does not hold the key consortium.json names for this hospital. */
export class NodeKeyMismatchError extends Error {
  constructor(message: string) { super(message); this.name = 'NodeKeyMismatchError'; }
}

export async function writeBesuNodeKey(keysDir: string, hospital: HospitalConfig, passphrase: string): Promise<{ file: string; validator: Address }> {
  const keystoreFile = join(keysDir, HOSPITAL_KEY_FILES.validator);
  const { privateKey } = await decryptKeystore(JSON.parse(readFileSync(keystoreFile, 'utf8')), passphrase);
  const validator = privateKeyToAddress(bytesToHex(privateKey));
  if (validator.toLowerCase() !== hospital.validator.toLowerCase() || !hospital.enode.startsWith(`enode://${nodeIdOf(privateKey)}@`)) {
    throw new NodeKeyMismatchError(`${keystoreFile} holds validator ${validator}, but consortium.json names ${hospital.validator} for "${hospital.name}": wrong --keys-dir?`);
  }
  const file = join(keysDir, 'keys', 'key');
  writeFileAtomic(file, bytesToHex(privateKey), 0o600);
  return { file, validator };
}
