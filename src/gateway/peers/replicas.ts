/**
 * Ciphertexts this gateway holds as a replica: fetched from another hospital's gateway for a
 * record version and verified against the content id registered on chain (table peer_replicas,
 * peerAuth.ts peers-1). A replica is served under that version to this gateway's readers and to
 * other hospitals, like a ciphertext its author uploaded here. Erasure shreds replicas with
 * everything else (the shredder deletes the blob of an erased version that nobody uploaded here).
 */
import type { Hex } from 'viem';
import type { Clock } from '../clock.ts';
import type { SqlExecutor } from '../index/handlers.ts';

/** `clock` (the gateway's, server.ts) dates each replica. */
export function peerReplicas(db: SqlExecutor, clock: Clock) {
  const now = () => clock.seconds();
  return {
    async record(r: { contentId: Hex; cid: string; recordId: Hex; version: number; source: string; size: number }): Promise<void> {
      await db.query(`INSERT INTO peer_replicas (content_id, cid, record_id, version, source, size, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (content_id) DO NOTHING`, [r.contentId.toLowerCase(), r.cid, r.recordId.toLowerCase(), r.version, r.source, r.size, now()]);
    },
    /** Whether a verified replica of this version's ciphertext was stored here. */
    async holds(contentId: Hex, recordId: Hex, version: number): Promise<boolean> {
      const rows = await db.query('SELECT 1 AS one FROM peer_replicas WHERE content_id = $1 AND record_id = $2 AND version = $3', [contentId.toLowerCase(), recordId.toLowerCase(), version]);
      return rows.length > 0;
    },
    async count(): Promise<number> {
      const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM peer_replicas');
      return Number(row?.n ?? 0);
    },
  };
}

export type PeerReplicas = ReturnType<typeof peerReplicas>;
