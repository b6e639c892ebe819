/**
 * The crypto-shredding queue: one durable job per erased record, written by the indexer in the
 * same SQL transaction as it indexes `RecordErased` (so a job exists exactly when the erasure is
 * indexed, whether or not anyone calls the gateway), worked off by `shredder.ts`. Tables are in
 * schema.ts (chain-index-3).
 */
import type { Hex } from 'viem';
import type { SqlExecutor } from '../db/sqlExecutor.ts';

export type ShredStatus = 'pending' | 'done';

/** What a job destroyed (or, while pending, has destroyed so far). */
export interface ShredJob {
  recordId: Hex;
  status: ShredStatus;
  attempts: number;
  ciphertextsDestroyed: number;
  /** Blobs left in place: another account uploaded the same bytes, or another live version names them. */
  ciphertextsKept: number;
  envelopesDestroyed: number;
  escrowSharesDestroyed: number;
  blindIndexTokensDestroyed: number;
}

/** Queues the shredding of an erased record (idempotent: a replayed event queues nothing new). */
export async function enqueueShred(db: SqlExecutor, recordId: Hex, patient: string, erasedBlock: bigint): Promise<void> {
  await db.query(`INSERT INTO shred_jobs (record_id, patient, erased_block, status, attempts, ciphertexts_destroyed, ciphertexts_kept,
    envelopes_destroyed, escrow_shares_destroyed, tokens_destroyed) VALUES ($1, $2, $3, 'pending', 0, 0, 0, 0, 0, 0) ON CONFLICT (record_id) DO NOTHING`,
  [recordId, patient, erasedBlock.toString()]);
  await db.query(`INSERT INTO shred_job_blobs (record_id, content_id, author)
    SELECT record_id, content_id, author FROM record_versions WHERE record_id = $1 AND content_id <> '0x'
    ON CONFLICT (record_id, content_id) DO NOTHING`, [recordId]);
}

interface ShredJobRow {
  record_id: Hex; status: ShredStatus; attempts: number | string; ciphertexts_destroyed: number | string; ciphertexts_kept: number | string;
  envelopes_destroyed: number | string; escrow_shares_destroyed: number | string; tokens_destroyed: number | string;
}

const jobOf = (r: ShredJobRow): ShredJob => ({
  recordId: r.record_id, status: r.status, attempts: Number(r.attempts), ciphertextsDestroyed: Number(r.ciphertexts_destroyed),
  ciphertextsKept: Number(r.ciphertexts_kept), envelopesDestroyed: Number(r.envelopes_destroyed),
  escrowSharesDestroyed: Number(r.escrow_shares_destroyed), blindIndexTokensDestroyed: Number(r.tokens_destroyed),
});

export function shredJobs(db: SqlExecutor) {
  return {
    async get(recordId: Hex): Promise<ShredJob | undefined> {
      const [row] = await db.query<ShredJobRow>('SELECT * FROM shred_jobs WHERE record_id = $1', [recordId.toLowerCase()]);
      return row ? jobOf(row) : undefined;
    },
    async pending(limit = 50): Promise<Hex[]> {
      const rows = await db.query<{ record_id: Hex }>(`SELECT record_id FROM shred_jobs WHERE status = 'pending' ORDER BY erased_block, record_id LIMIT $1`, [limit]);
      return rows.map((r) => r.record_id);
    },
    async blobs(recordId: Hex): Promise<Array<{ contentId: Hex; author: string; outcome: string | null }>> {
      return db.query(`SELECT content_id AS "contentId", author, outcome FROM shred_job_blobs WHERE record_id = $1 ORDER BY content_id`, [recordId.toLowerCase()]);
    },
  };
}

export type ShredJobs = ReturnType<typeof shredJobs>;
