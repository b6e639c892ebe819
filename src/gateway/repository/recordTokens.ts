/**
 * Reads of the blind-index tokens deposited with records (table `record_tokens`, written by
 * index/envelopes.ts): which records carry a token, and which of a patient's records carry any
 * (records written without tokens stay search candidates). Tokens are keyed HMACs: they name no code.
 */
import type { Address } from 'viem';
import type { SqlExecutor } from '../db/sqlExecutor.ts';

export function recordTokenRepository(db: SqlExecutor) {
  return {
    /** The ids of the records that carry this token. */
    async recordsWith(token: string): Promise<Set<string>> {
      return new Set((await db.query<{ record_id: string }>('SELECT record_id FROM record_tokens WHERE token = $1', [token])).map((r) => r.record_id));
    },

    /** The ids of a patient's records that carry any token. */
    async indexedOf(patient: Address): Promise<Set<string>> {
      return new Set((await db.query<{ record_id: string }>(
        `SELECT DISTINCT t.record_id FROM record_tokens t JOIN records r ON r.record_id = t.record_id WHERE r.patient = $1`, [patient.toLowerCase()])).map((r) => r.record_id));
    },
  };
}
