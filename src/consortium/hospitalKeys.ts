/**
 * A hospital's keys, each in its own encrypted keystore under `<out>/<name>/` (Web3 v3 keystores
 * from src/crypto/keystore.ts, scrypt):
 *
 *   validator.json   its Besu node key: the QBFT validator address and the enode's public key
 *   operator.json    its gateway operator (relays signed consent, anchors the access log)
 *   admin.json       its governance admin (approves accreditations and parameter changes)
 *   custodian.json   its break-glass escrow custodian (X25519, the same file format as a
 *                    single-hospital data directory's keys/custodian-<i>.json)
 *
 * Besu reads its node key as a plain hex file; that file is written only at deployment
 * (`medchain consortium node-key`, see ./nodeKey.ts), so the key rests encrypted until then.
 */
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, type Address, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { encryptKeystore } from '../crypto/keystore.ts';
import { newCustodianKey, randomKey } from '../keys/keyRing.ts';
import { createCustodianKeystore } from '../cli/roleKeys.ts';
import { writeFileAtomic } from '../cli/dataDir.ts';

export const HOSPITAL_KEY_FILES = { validator: 'validator.json', operator: 'operator.json', admin: 'admin.json', custodian: 'custodian.json' } as const;

export interface HospitalKeys {
  validator: Address;
  /** The node's secp256k1 public key, uncompressed without the 0x04 prefix (the enode id). */
  nodeId: string;
  operator: Address;
  admin: Address;
  /** Kept in memory for the scratch deployment's governance approvals only. */
  adminKey: Hex;
  custodianPublicKey: Hex;
}

/** The enode id (devp2p node id) of a secp256k1 private key. */
export function nodeIdOf(privateKey: Uint8Array): string {
  return bytesToHex(secp256k1.getPublicKey(privateKey, false).slice(1)).slice(2);
}

/** Creates the four keystores of one hospital in `dir`, each encrypted with `passphrase`; `index` is its position in consortium.json (0-based, as custodian-<i>.json). */
export async function createHospitalKeys(dir: string, passphrase: string, index: number, scryptN?: number): Promise<HospitalKeys> {
  const account = async (file: string): Promise<{ key: Uint8Array; address: Address }> => {
    const key = randomKey();
    writeFileAtomic(join(dir, file), JSON.stringify(await encryptKeystore(key, passphrase, { scryptN }), null, 2));
    return { key, address: privateKeyToAddress(bytesToHex(key)) };
  };
  const validator = await account(HOSPITAL_KEY_FILES.validator);
  const operator = await account(HOSPITAL_KEY_FILES.operator);
  const admin = await account(HOSPITAL_KEY_FILES.admin);
  const custodian = newCustodianKey();
  await createCustodianKeystore(join(dir, HOSPITAL_KEY_FILES.custodian), index, custodian, passphrase, { scryptN });
  return {
    validator: validator.address, nodeId: nodeIdOf(validator.key), operator: operator.address,
    admin: admin.address, adminKey: bytesToHex(admin.key), custodianPublicKey: bytesToHex(custodian.publicKey),
  };
}
