/**
 * Key envelopes kept by the gateway: for each record version, the data key wrapped (HPKE) to each
 * reader. The gateway cannot open them; it hands each caller only their own envelope, and only
 * while chain state says they may read. Deleting a reader's envelopes (grant expired or revoked)
 * and all of a record's envelopes (erasure) is the off-chain half of access control and of
 * crypto-shredding.
 */
import type { Address, Hex } from 'viem';
import type { Clock } from '../clock.ts';
import type { SqlExecutor } from './handlers.ts';

export const envelopeMigrations = [
  {
    id: 'envelopes-1',
    sql: `
CREATE TABLE IF NOT EXISTS envelopes (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  recipient TEXT NOT NULL,
  envelope TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (record_id, version, recipient, kind)
);
CREATE INDEX IF NOT EXISTS envelopes_recipient ON envelopes (recipient);
CREATE TABLE IF NOT EXISTS record_tokens (
  record_id TEXT NOT NULL,
  token TEXT NOT NULL,
  PRIMARY KEY (record_id, token)
);
CREATE INDEX IF NOT EXISTS record_tokens_token ON record_tokens (token);
`,
  },
] as const;

/**
 * `data-key` envelopes open a record version for a reader; `search-key` ones (record id = the
 * patient's address, version 0) carry the patient's blind-index key; `category-key` ones (same
 * place) the key that blinds the patient's on-chain categories (crypto/categoryKey.ts).
 */
export type EnvelopeKind = 'data-key' | 'search-key' | 'category-key';

export interface StoredEnvelope {
  recordId: Hex;
  version: number;
  recipient: Address;
  envelope: Uint8Array;
  kind: EnvelopeKind;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** An envelope for this recipient is already deposited, and the caller may not replace it. */
export class EnvelopeConflictError extends Error {
  constructor(readonly recipient: Address) {
    super(`an envelope for ${recipient} is already deposited for this version; only the patient, or ${recipient} itself (after rotating its key), may replace it`);
    this.name = 'EnvelopeConflictError';
  }
}

/**
 * Who may replace an existing envelope: envelopes are the only copies of data keys, so by default
 * none (`put` is write-once; depositing the same bytes again is a no-op, for retries); the patient
 * may replace any (`'any'`); a recipient re-wrapping for its own rotated key may replace its own.
 */
export type ReplacePolicy = 'none' | 'any' | { self: Address };

type TransactionalSql = SqlExecutor & { transaction?: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T> };

/** `clock` (the gateway's, server.ts) dates each deposit. */
export function envelopeStore(db: TransactionalSql, clock: Clock) {
  const now = () => clock.seconds();
  return {
    /** Deposits envelopes, all or none: throws EnvelopeConflictError when one would replace an envelope `replace` does not allow. */
    async put(envelopes: StoredEnvelope[], replace: ReplacePolicy = 'none'): Promise<void> {
      const write = async (tx: SqlExecutor) => {
        for (const e of envelopes) {
          const key = [e.recordId.toLowerCase(), e.version, e.recipient.toLowerCase(), e.kind];
          const [existing] = await tx.query<{ envelope: string }>('SELECT envelope FROM envelopes WHERE record_id = $1 AND version = $2 AND recipient = $3 AND kind = $4', key);
          if (existing && existing.envelope === b64(e.envelope)) continue;
          const mayReplace = replace === 'any' || (typeof replace === 'object' && replace.self.toLowerCase() === e.recipient.toLowerCase());
          if (existing && !mayReplace) throw new EnvelopeConflictError(e.recipient);
          await tx.query(`INSERT INTO envelopes (record_id, version, recipient, envelope, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (record_id, version, recipient, kind) DO UPDATE SET envelope = excluded.envelope`, [...key.slice(0, 3), b64(e.envelope), e.kind, now()]);
        }
      };
      await (db.transaction ? db.transaction(write) : write(db));
    },
    async get(recordId: Hex, version: number, recipient: Address, kind: EnvelopeKind = 'data-key'): Promise<Uint8Array | undefined> {
      const rows = await db.query<{ envelope: string }>('SELECT envelope FROM envelopes WHERE record_id = $1 AND version = $2 AND recipient = $3 AND kind = $4',
        [recordId.toLowerCase(), version, recipient.toLowerCase(), kind]);
      return rows[0] ? unb64(rows[0].envelope) : undefined;
    },
    async recipients(recordId: Hex, version: number): Promise<Address[]> {
      const rows = await db.query<{ recipient: Address }>(`SELECT recipient FROM envelopes WHERE record_id = $1 AND version = $2 AND kind = 'data-key' ORDER BY recipient`,
        [recordId.toLowerCase(), version]);
      return rows.map((r) => r.recipient);
    },
    /** Removes a reader's envelopes for a patient's records (their grant ended). Returns how many. */
    async removeReader(patient: Address, recipient: Address, recordIds?: Hex[]): Promise<number> {
      const ids = recordIds?.map((r) => r.toLowerCase());
      const rows = await db.query<{ record_id: string }>(`SELECT e.record_id FROM envelopes e JOIN records r ON r.record_id = e.record_id
        WHERE r.patient = $1 AND e.recipient = $2 AND e.kind = 'data-key'`, [patient.toLowerCase(), recipient.toLowerCase()]);
      const targets = rows.map((r) => r.record_id).filter((id) => !ids || ids.includes(id));
      for (const id of new Set(targets)) {
        await db.query(`DELETE FROM envelopes WHERE record_id = $1 AND recipient = $2 AND kind = 'data-key'`, [id, recipient.toLowerCase()]);
      }
      return targets.length;
    },
    /** Every (record, reader) pair holding data-key envelopes, with the record's patient and category. */
    async readers(): Promise<Array<{ recordId: Hex; recipient: Address; patient: Address; category: Hex }>> {
      return db.query(`SELECT DISTINCT e.record_id AS "recordId", e.recipient AS "recipient", r.patient AS "patient", r.category AS "category"
        FROM envelopes e JOIN records r ON r.record_id = e.record_id WHERE e.kind = 'data-key' AND e.recipient <> r.patient`);
    },
    /** Crypto-shredding: every envelope of a record, every version. */
    async removeRecord(recordId: Hex): Promise<{ envelopes: number; tokens: number }> {
      const id = recordId.toLowerCase();
      const [e] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM envelopes WHERE record_id = $1', [id]);
      const [t] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM record_tokens WHERE record_id = $1', [id]);
      await db.query('DELETE FROM envelopes WHERE record_id = $1', [id]);
      await db.query('DELETE FROM record_tokens WHERE record_id = $1', [id]);
      return { envelopes: Number(e?.n ?? 0), tokens: Number(t?.n ?? 0) };
    },
    async putTokens(recordId: Hex, tokens: string[]): Promise<void> {
      for (const token of tokens) {
        await db.query('INSERT INTO record_tokens (record_id, token) VALUES ($1, $2) ON CONFLICT (record_id, token) DO NOTHING', [recordId.toLowerCase(), token]);
      }
    },
  };
}

export type EnvelopeStore = ReturnType<typeof envelopeStore>;
