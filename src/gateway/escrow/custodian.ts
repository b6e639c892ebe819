/**
 * The hospital as a break-glass escrow custodian (src/crypto/escrow.ts holds the k-of-n scheme).
 *
 * Clients split each record version's data key k-of-n and wrap share i to custodian i; the shares
 * are deposited here. A share is released — opened with the custodian's key and re-wrapped to the
 * requester's on-chain encryption key — only while chain state shows a live break-glass for that
 * provider and patient, and every release is in the access log. In a consortium each hospital's
 * gateway holds one custodian key and lists the others' public keys (`peers`); a single-machine
 * install holds all n keys itself, which keeps the protocol but not the separation of trust.
 *
 * Custodian keys are derived from the hospital's operating key with HKDF-SHA256, so they need no
 * extra key file and the same hospital always gets the same custodian identities.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { encryptionPublicKey, releaseEscrowShare, type RecordBinding, type ReleasedShare } from '../../crypto/index.ts';
import type { SqlExecutor } from '../index/handlers.ts';

export const escrowMigrations = [
  {
    id: 'escrow-1',
    sql: `
CREATE TABLE IF NOT EXISTS escrow_bundles (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  threshold BIGINT NOT NULL,
  commitment TEXT NOT NULL,
  PRIMARY KEY (record_id, version)
);
CREATE TABLE IF NOT EXISTS escrow_shares (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  custodian TEXT NOT NULL,
  share_index BIGINT NOT NULL,
  envelope TEXT NOT NULL,
  PRIMARY KEY (record_id, version, share_index)
);
`,
  },
] as const;

export interface CustodianKey { id: string; publicKey: Uint8Array; privateKey: Uint8Array }
export interface CustodianView { id: string; publicKey: string; gateway?: string }
export interface EscrowPolicy { threshold: number; custodians: CustodianView[] }

/** The custodian keys a hospital holds: `count` X25519 keys derived from its operating key. */
export function deriveCustodianKeys(operatorKey: Hex, count: number): CustodianKey[] {
  const operator = privateKeyToAddress(operatorKey).toLowerCase();
  return Array.from({ length: count }, (_, i) => {
    const privateKey = hkdf(sha256, hexToBytes(operatorKey), new TextEncoder().encode('medchain:escrow-custodian:v1'), new TextEncoder().encode(`custodian ${i}`), 32);
    return { id: `${operator}/${i}`, privateKey, publicKey: encryptionPublicKey(privateKey) };
  });
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export interface DepositedEscrow {
  threshold: number;
  commitment: Uint8Array;
  shares: Array<{ custodian: string; index: number; envelope: Uint8Array }>;
}

/** Escrow shares for this version were already deposited (they are write-once). */
export class EscrowConflictError extends Error {
  constructor(readonly version: number) {
    super(`escrow shares for version ${version} are already deposited and are write-once`);
    this.name = 'EscrowConflictError';
  }
}

export function escrowStore(db: SqlExecutor & { transaction?: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T> }) {
  return {
    /**
     * Deposits a version's escrow bundle. Write-once: the shares are the break-glass copy of the data
     * key, so a second deposit changes nothing — the same bundle again is a no-op (a retry), a
     * different one throws EscrowConflictError.
     */
    async put(recordId: Hex, version: number, escrow: DepositedEscrow): Promise<void> {
      const write = async (tx: SqlExecutor) => {
        const [bundle] = await tx.query<{ threshold: number | string; commitment: string }>('SELECT threshold, commitment FROM escrow_bundles WHERE record_id = $1 AND version = $2', [recordId, version]);
        if (bundle) {
          const shares = await tx.query<{ custodian: string; share_index: number | string; envelope: string }>(
            'SELECT custodian, share_index, envelope FROM escrow_shares WHERE record_id = $1 AND version = $2 ORDER BY share_index', [recordId, version]);
          const sameShares = [...escrow.shares].sort((a, b) => a.index - b.index);
          const same = Number(bundle.threshold) === escrow.threshold && bundle.commitment === b64(escrow.commitment) && shares.length === sameShares.length
            && shares.every((s, i) => Number(s.share_index) === sameShares[i]!.index && s.custodian === sameShares[i]!.custodian.toLowerCase() && s.envelope === b64(sameShares[i]!.envelope));
          if (same) return;
          throw new EscrowConflictError(version);
        }
        await tx.query('INSERT INTO escrow_bundles (record_id, version, threshold, commitment) VALUES ($1, $2, $3, $4)',
          [recordId, version, escrow.threshold, b64(escrow.commitment)]);
        for (const s of escrow.shares) {
          await tx.query('INSERT INTO escrow_shares (record_id, version, custodian, share_index, envelope) VALUES ($1, $2, $3, $4, $5)',
            [recordId, version, s.custodian.toLowerCase(), s.index, b64(s.envelope)]);
        }
      };
      await (db.transaction ? db.transaction(write) : write(db));
    },
    async get(recordId: Hex, version: number): Promise<DepositedEscrow | undefined> {
      const [bundle] = await db.query<{ threshold: number | string; commitment: string }>('SELECT threshold, commitment FROM escrow_bundles WHERE record_id = $1 AND version = $2', [recordId, version]);
      if (!bundle) return undefined;
      const shares = await db.query<{ custodian: string; share_index: number | string; envelope: string }>(
        'SELECT custodian, share_index, envelope FROM escrow_shares WHERE record_id = $1 AND version = $2 ORDER BY share_index', [recordId, version]);
      return {
        threshold: Number(bundle.threshold), commitment: unb64(bundle.commitment),
        shares: shares.map((s) => ({ custodian: s.custodian, index: Number(s.share_index), envelope: unb64(s.envelope) })),
      };
    },
    /** Crypto-shredding at erasure: the shares go with the record. */
    async removeRecord(recordId: Hex): Promise<number> {
      const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM escrow_shares WHERE record_id = $1', [recordId]);
      await db.query('DELETE FROM escrow_shares WHERE record_id = $1', [recordId]);
      await db.query('DELETE FROM escrow_bundles WHERE record_id = $1', [recordId]);
      return Number(row?.n ?? 0);
    },
  };
}

export type EscrowStore = ReturnType<typeof escrowStore>;

/** This gateway's custodians: opens the shares it holds and re-wraps them to the requester. */
export function escrowCustodian(keys: CustodianKey[], options: { threshold: number; peers?: CustodianView[] }) {
  const byId = new Map(keys.map((k) => [k.id, k]));
  const policy: EscrowPolicy = {
    threshold: options.threshold,
    custodians: [...keys.map((k) => ({ id: k.id, publicKey: b64(k.publicKey) })), ...(options.peers ?? [])],
  };
  return {
    policy,
    /** Releases every share of `escrow` this gateway holds; the caller has checked the break-glass. */
    async release(escrow: DepositedEscrow, binding: RecordBinding, requesterPublicKey: Uint8Array): Promise<ReleasedShare[]> {
      const released: ReleasedShare[] = [];
      for (const share of escrow.shares) {
        const key = byId.get(share.custodian);
        if (!key) continue;
        released.push(await releaseEscrowShare(share, key.privateKey, binding, requesterPublicKey));
      }
      return released;
    },
  };
}

export type EscrowCustodianService = ReturnType<typeof escrowCustodian>;
