/**
 * The hospital as a break-glass escrow custodian (src/crypto/escrow.ts holds the k-of-n scheme).
 *
 * Clients split each record version's data key k-of-n and wrap share i to custodian i; the shares
 * are deposited here. A custodian releases a share — opens it with its own key and re-wraps it to
 * the requester's on-chain encryption key — only after it has itself read a live break-glass for
 * that provider and patient from the chain (Consent.hasEmergencyAccess), whatever the route
 * decided; every release and every refusal goes to the access log.
 *
 * Each custodian key (src/keys/keyRing.ts) is its own X25519 key in its own keystore with its own
 * passphrase (the CLI's keys/custodian-<i>.json, see src/cli/roleKeys.ts); none is derived from the operator or
 * admin key, so the keys that run the gateway open no escrowed data key. In a consortium each
 * hospital's gateway holds one custodian key and lists the others' public keys (`peers`). The
 * trust model is written down in docs/crypto.md.
 */
import { hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { releaseEscrowShare, type RecordBinding, type ReleasedShare } from '../../crypto/index.ts';
import { ConsentAbi, IdentityAbi, type MedChainAddresses } from '../../sdk/contracts.ts';
import type { CustodianKey } from '../../keys/keyRing.ts';
import { Refusal } from '../refusal.ts';
import type { SqlExecutor } from '../db/sqlExecutor.ts';
import type { AccessLogger } from '../audit/entry.ts';

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

export interface CustodianView { id: string; publicKey: string; gateway?: string }
export interface EscrowPolicy { threshold: number; custodians: CustodianView[] }

/** A release refused because the custodian's own chain read shows no live break-glass. */
export class BreakGlassNotLive extends Refusal {
  constructor(readonly requester: Address) {
    super('forbidden', 'escrow refused by the custodian: the chain shows no live break-glass of yours for this patient (Consent.openEmergencyAccess first)');
  }
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

export interface CustodianChain {
  client: PublicClient;
  addresses: Pick<MedChainAddresses, 'consent' | 'identity'>;
  audit: AccessLogger;
}

/**
 * This gateway's custodians: open the shares they hold and re-wrap them to the requester, after
 * checking the break-glass on chain themselves. `keys` may also hold a migrated data directory's
 * legacy keys (they open the shares deposited before the migration; they are not in the policy).
 */
export function escrowCustodian(keys: CustodianKey[], options: { threshold: number; peers?: CustodianView[]; legacyKeys?: CustodianKey[]; chain: CustodianChain }) {
  const byId = new Map([...(options.legacyKeys ?? []), ...keys].map((k) => [k.id.toLowerCase(), k]));
  const policy: EscrowPolicy = {
    threshold: options.threshold,
    custodians: [...keys.map((k) => ({ id: k.id, publicKey: b64(k.publicKey) })), ...(options.peers ?? [])],
  };
  const { client, addresses, audit } = options.chain;
  return {
    policy,
    /**
     * Releases every share of `escrow` this gateway holds to `requester`, re-wrapped to the
     * requester's encryption key as published on chain. Reads the break-glass itself, at one block.
     */
    async release(escrow: DepositedEscrow, binding: RecordBinding, requester: Address): Promise<ReleasedShare[]> {
      const patient = binding.patient as Address;
      const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
      const [live, emergency, key] = await Promise.all([
        client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'hasEmergencyAccess', args: [patient, requester], blockNumber }),
        client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'emergencyOf', args: [patient, requester], blockNumber }),
        client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [requester], blockNumber }),
      ]);
      const entry = { actor: requester, patient, recordId: binding.recordId as Hex, action: 'escrow-release', purpose: 'emergency' } as const;
      if (!live) {
        await audit.append({ ...entry, outcome: 'denied', reason: `custodian: no live break-glass on chain at block ${blockNumber}` });
        throw new BreakGlassNotLive(requester);
      }
      if (/^0x0{64}$/.test(key)) throw new Refusal('conflict', 'publish your encryption key on chain (Identity.rotateEncryptionKey) before asking for a release');
      const released: ReleasedShare[] = [];
      const by: string[] = [];
      for (const share of escrow.shares) {
        const custodian = byId.get(share.custodian.toLowerCase());
        if (!custodian) continue;
        released.push(await releaseEscrowShare(share, custodian.privateKey, binding, hexToBytes(key)));
        by.push(String(share.index));
      }
      if (released.length > 0) {
        await audit.append({ ...entry, outcome: 'allowed', reason: `custodian: break-glass #${emergency.accessId} live until ${emergency.until}; released share(s) ${by.join(', ')}` });
      }
      return released;
    },
  };
}

export type EscrowCustodianService = ReturnType<typeof escrowCustodian>;
