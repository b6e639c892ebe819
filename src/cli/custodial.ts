/**
 * Accounts whose keys this hospital holds — an EHR integration, a device bridge — so the gateway's
 * FHIR API can encrypt and decrypt records for them. Each is a key file in the CLI's format
 * (`medchain keys new`, with an encryption key) placed in <data-dir>/custodial/, encrypted with the
 * data directory's passphrase; `medchain start` opens them and hands them to the gateway.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CustodialKey } from '../keys/keyRing.ts';
import { CliError } from './dataDir.ts';
import { readKeyBundle, unlockBundle } from './keyFile.ts';

export async function loadCustodialKeys(dir: string, passphrase: string): Promise<Array<CustodialKey & { address: string; file: string }>> {
  if (!existsSync(dir)) return [];
  const keys = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, name);
    const bundle = readKeyBundle(file);
    if (!bundle.encryption) throw new CliError(`${file} has no encryption key: a custodial account needs one (make it with \`medchain keys new\`)`);
    const unlocked = await unlockBundle(file, bundle, passphrase);
    keys.push({ file, address: unlocked.address, privateKey: unlocked.privateKey, encryptionPrivateKey: unlocked.encryption[0]!.privateKey });
  }
  return keys;
}
