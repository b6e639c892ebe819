/**
 * The crypto-shredding worker: works off the jobs the indexer queues at `RecordErased`
 * (shredJobs.ts). For each erased record it destroys the ciphertexts that belong to it, then — in
 * one SQL transaction that also marks the job done — every key envelope, escrow share and
 * blind-index token of the record. A crash at any point leaves the job pending and it is retried
 * on the next run (after a restart too): blob deletion is idempotent and each blob's outcome is
 * recorded, the SQL half commits at most once, so the job's counts say what was really destroyed.
 *
 * A ciphertext belongs to the erased record when the version's author uploaded it (blob_uploads)
 * and no other live record version names it: the blob store is shared and content-addressed, so
 * erasing one record must never destroy another's bytes (a content id someone front-ran stays with
 * its uploader, and is garbage-collected later).
 */
import type { Hex } from 'viem';
import { cidFromContentId } from '../../sdk/records.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { Database } from '../db/index.ts';
import { escrowStore } from '../escrow/custodian.ts';
import type { Clock } from '../clock.ts';
import { blobUploads } from './blobUploads.ts';
import { envelopeStore } from './envelopes.ts';
import { shredJobs, type ShredJob } from './shredJobs.ts';

export type BlobOutcome = 'destroyed' | 'absent' | 'kept' | 'not-a-cid';

export interface ShredderOptions {
  db: Database;
  blobs: BlobStore;
  /** Fault injection for crash tests: called after each blob deletion, before its outcome is recorded. */
  afterBlobDeleted?: (contentId: Hex) => void | Promise<void>;
  /** The gateway's clock (server.ts): when a job was done. */
  clock: Clock;
}

export function createShredder(options: ShredderOptions) {
  const { db, blobs, clock } = options;
  const jobs = shredJobs(db);
  const uploads = blobUploads(db, clock);
  let queue: Promise<unknown> = Promise.resolve();

  async function shredBlob(recordId: Hex, contentId: Hex, author: string): Promise<BlobOutcome> {
    let cid: string;
    try { cid = cidFromContentId(contentId); } catch { return 'not-a-cid'; }
    const uploaders = await uploads.uploaders(contentId);
    const [otherLive] = await db.query(`SELECT 1 AS one FROM record_versions v JOIN records r ON r.record_id = v.record_id
      WHERE v.content_id = $1 AND v.record_id <> $2 AND r.erased_block IS NULL LIMIT 1`, [contentId, recordId]);
    const authorUploaded = uploaders.includes(author.toLowerCase());
    // Kept: another live version names the bytes (a record written before content ids were unique),
    // or the erased version's author never uploaded them — they are someone else's (a front-run content id).
    // Copies uploaded by others (a reader re-uploading what it read) do not keep an erased record's bytes alive:
    // their content id is taken on chain for good, so no other record can ever use them.
    if (otherLive || (!authorUploaded && uploaders.length > 0)) return 'kept';
    const held = uploaders.length > 0 || await blobs.has(cid);
    await blobs.delete(cid);
    await options.afterBlobDeleted?.(contentId);
    const outcome: BlobOutcome = held && !(await blobs.has(cid)) ? 'destroyed' : 'absent';
    await uploads.forget(contentId);
    return outcome;
  }

  async function shred(recordId: Hex): Promise<void> {
    await db.query('UPDATE shred_jobs SET attempts = attempts + 1 WHERE record_id = $1', [recordId]);
    for (const item of await jobs.blobs(recordId)) {
      if (item.outcome !== null) continue;
      const outcome = await shredBlob(recordId, item.contentId, item.author);
      await db.query('UPDATE shred_job_blobs SET outcome = $1 WHERE record_id = $2 AND content_id = $3', [outcome, recordId, item.contentId]);
    }
    await db.transaction(async (tx) => {
      const removed = await envelopeStore(tx, clock).removeRecord(recordId);
      const shares = await escrowStore(tx).removeRecord(recordId);
      const [counts] = await tx.query<{ destroyed: number | string; kept: number | string }>(`SELECT
        COALESCE(SUM(CASE WHEN outcome = 'destroyed' THEN 1 ELSE 0 END), 0) AS destroyed,
        COALESCE(SUM(CASE WHEN outcome = 'kept' THEN 1 ELSE 0 END), 0) AS kept FROM shred_job_blobs WHERE record_id = $1`, [recordId]);
      await tx.query(`UPDATE shred_jobs SET status = 'done', ciphertexts_destroyed = $1, ciphertexts_kept = $2, envelopes_destroyed = $3,
        escrow_shares_destroyed = $4, tokens_destroyed = $5, last_error = NULL, done_at = $6 WHERE record_id = $7 AND status = 'pending'`,
      [Number(counts?.destroyed ?? 0), Number(counts?.kept ?? 0), removed.envelopes, shares, removed.tokens, clock.seconds(), recordId]);
    });
  }

  /** Runs every pending job once, one run at a time; a failing job stays pending with its error noted. */
  function runPending(): Promise<number> {
    const run = queue.then(async () => {
      let done = 0;
      for (const recordId of await jobs.pending()) {
        try {
          await shred(recordId);
          done++;
        } catch (error) {
          await db.query('UPDATE shred_jobs SET last_error = $1 WHERE record_id = $2', [(error as Error).message.split('\n')[0]!.slice(0, 200), recordId]).catch(() => undefined);
        }
      }
      return done;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    runPending,
    /** The job of an erased record after a run (undefined while the erasure is not indexed). */
    async settle(recordId: Hex): Promise<ShredJob | undefined> {
      await runPending();
      return jobs.get(recordId);
    },
    job: (recordId: Hex) => jobs.get(recordId),
    /** Resolves when no run is in progress (before closing the database). */
    idle: () => queue.then(() => undefined),
  };
}

export type Shredder = ReturnType<typeof createShredder>;
