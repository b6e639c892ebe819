/**
 * keys/study-compute.json: the X25519 key of the hospital's research compute service (docs/research.md).
 * Participants wrap the data keys a study needs to its public half; only the compute service opens
 * them, inside the gateway. Created at the first start that lacks it, encrypted with the operator's
 * passphrase (the operator records the runs it computes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { decryptKeystore, encryptKeystore, parseKeystore } from '../crypto/keystore.ts';
import { randomKey, type StudyComputeKey } from '../keys/keyRing.ts';
import { CliError, writeFileAtomic } from './dataDir.ts';
import type { Secret } from './passphrase.ts';

export async function openStudyComputeKeystore(file: string, secret: Secret, options: { scryptN?: number; log: (line: string) => void }): Promise<StudyComputeKey> {
  if (!existsSync(file)) {
    writeFileAtomic(file, JSON.stringify(await encryptKeystore(randomKey(), secret.passphrase, { scryptN: options.scryptN, kind: 'encryption' }), null, 2));
    options.log(`Creating the research compute service's key (study data keys are wrapped to it), encrypted with ${secret.source || 'the operator passphrase'}: ${file}`);
  }
  try {
    const { privateKey, publicKey } = await decryptKeystore(parseKeystore(JSON.parse(readFileSync(file, 'utf8'))), secret.passphrase);
    return { privateKey, publicKey: publicKey! };
  } catch (error) {
    throw new CliError(`cannot open ${file} with ${secret.source || 'the operator passphrase'}: ${(error as Error).message}`, 1);
  }
}
