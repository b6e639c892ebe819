/**
 * Who uploaded which ciphertext (table `blob_uploads`, schema.ts chain-index-3). The blob store is
 * content-addressed and shared, so ownership lives here: a blob is served under a record version
 * only when that version's author uploaded it, erasure destroys it only when nobody else did,
 * upload quotas count it against its uploader, and garbage collection finds the ones no registered
 * record version references.
 */
import type { Address, Hex } from 'viem';
import { cidOrUndefined } from '../../sdk/records.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { Clock } from '../clock.ts';
import type { SqlExecutor } from './handlers.ts';

const BACKFILL_ID = 'blob-uploads-backfill-1';

/** An account's held uploads: all of them, and those no indexed record version references yet ("pending"). */
export interface UploadUsage { bytes: number; count: number; pendingBytes: number; pendingCount: number }

/** `clock` (the gateway's, server.ts) dates each upload: garbage collection counts its grace period from then. */
export function blobUploads(db: SqlExecutor, clock: Clock) {
  const now = () => clock.seconds();
  return {
    async record(uploader: Address, cid: string, contentId: Hex, size: number): Promise<void> {
      await db.query(`INSERT INTO blob_uploads (content_id, uploader, cid, size, uploaded_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (content_id, uploader) DO NOTHING`, [contentId.toLowerCase(), uploader.toLowerCase(), cid, size, now()]);
    },
    async uploadedBy(contentId: Hex, uploader: Address): Promise<boolean> {
      const rows = await db.query('SELECT 1 AS one FROM blob_uploads WHERE content_id = $1 AND uploader = $2', [contentId.toLowerCase(), uploader.toLowerCase()]);
      return rows.length > 0;
    },
    async usage(uploader: Address): Promise<UploadUsage> {
      const [row] = await db.query<{ bytes: number | string | null; count: number | string; pending_bytes: number | string | null; pending_count: number | string | null }>(`
        SELECT COALESCE(SUM(u.size), 0) AS bytes, COUNT(*) AS count,
          COALESCE(SUM(CASE WHEN v.content_id IS NULL THEN u.size ELSE 0 END), 0) AS pending_bytes,
          COALESCE(SUM(CASE WHEN v.content_id IS NULL THEN 1 ELSE 0 END), 0) AS pending_count
        FROM blob_uploads u LEFT JOIN (SELECT DISTINCT content_id FROM record_versions) v ON v.content_id = u.content_id
        WHERE u.uploader = $1`, [uploader.toLowerCase()]);
      return { bytes: Number(row?.bytes ?? 0), count: Number(row?.count ?? 0), pendingBytes: Number(row?.pending_bytes ?? 0), pendingCount: Number(row?.pending_count ?? 0) };
    },
    /**
     * Blobs uploaded before `cutoff` (unix seconds) that no live indexed version of one of their
     * uploaders names. `registeredByOther`: the index knows the content id is registered (or was,
     * before an erasure) by a version none of the uploaders wrote — taken for good, so garbage; otherwise
     * the chain decides (the index may lag).
     */
    async unreferencedBefore(cutoff: number, limit = 500): Promise<Array<{ contentId: Hex; cid: string; registeredByOther: boolean }>> {
      const rows = await db.query<{ contentId: Hex; cid: string; known: number | string }>(`SELECT c.content_id AS "contentId", c.cid AS "cid",
          CASE WHEN EXISTS (SELECT 1 FROM record_versions v WHERE v.content_id = c.content_id)
            OR EXISTS (SELECT 1 FROM shred_job_blobs s WHERE s.content_id = c.content_id) THEN 1 ELSE 0 END AS "known"
        FROM (SELECT content_id, MIN(cid) AS cid FROM blob_uploads GROUP BY content_id HAVING MAX(uploaded_at) < $1) c
        WHERE NOT EXISTS (SELECT 1 FROM record_versions v JOIN records r ON r.record_id = v.record_id
            JOIN blob_uploads o ON o.content_id = v.content_id AND o.uploader = v.author
            WHERE v.content_id = c.content_id AND r.erased_block IS NULL)
          AND NOT EXISTS (SELECT 1 FROM shred_job_blobs s WHERE s.content_id = c.content_id AND s.outcome IS NULL)
        ORDER BY 1 LIMIT $2`, [cutoff, limit]);
      return rows.map((r) => ({ contentId: r.contentId, cid: r.cid, registeredByOther: Number(r.known) === 1 }));
    },
    async uploaders(contentId: Hex): Promise<string[]> {
      const rows = await db.query<{ uploader: string }>('SELECT uploader FROM blob_uploads WHERE content_id = $1 ORDER BY uploader', [contentId.toLowerCase()]);
      return rows.map((r) => r.uploader);
    },
    /**
     * Once per database: ciphertexts stored before uploads were recorded get an upload row for the
     * author of the earliest indexed version naming them (first registration wins, as the registry
     * now enforces), so records written before the upgrade stay readable. Returns how many.
     */
    async backfill(blobs: BlobStore): Promise<number> {
      if ((await db.query('SELECT id FROM schema_migrations WHERE id = $1', [BACKFILL_ID])).length > 0) return 0;
      const rows = await db.query<{ content_id: Hex; author: Address }>(`SELECT v.content_id, v.author FROM record_versions v
        WHERE v.content_id <> '0x' AND NOT EXISTS (SELECT 1 FROM blob_uploads u WHERE u.content_id = v.content_id) ORDER BY v.block_number, v.record_id, v.version`);
      const seen = new Set<string>();
      let added = 0;
      for (const row of rows) {
        if (seen.has(row.content_id)) continue;
        seen.add(row.content_id);
        const cid = cidOrUndefined(row.content_id);
        const stat = cid ? await blobs.stat(cid).catch(() => undefined) : undefined;
        if (!cid || !stat) continue;
        await this.record(row.author, cid, row.content_id, stat.size);
        added++;
      }
      await db.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [BACKFILL_ID, now()]);
      return added;
    },
    async forget(contentId: Hex, uploader?: Address | string): Promise<void> {
      if (uploader) await db.query('DELETE FROM blob_uploads WHERE content_id = $1 AND uploader = $2', [contentId.toLowerCase(), uploader.toLowerCase()]);
      else await db.query('DELETE FROM blob_uploads WHERE content_id = $1', [contentId.toLowerCase()]);
    },
  };
}

export type BlobUploads = ReturnType<typeof blobUploads>;
