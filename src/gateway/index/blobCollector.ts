/**
 * Garbage collection of uploads nobody can use: a ciphertext uploaded more than `graceSeconds` ago
 * that no live record version of one of its uploaders names is deleted with its upload rows, when
 * either the chain never registered its content id (`RecordRegistry.isContentIdUsed`, the authority
 * while the indexer lags) or the index shows it registered by someone who did not upload it (a
 * front-run content id, or a copy of an erased record's bytes: taken for good, so never usable).
 * Blobs of erased records that belong to them are the shredder's.
 */
import type { Hex } from 'viem';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { SqlExecutor } from './handlers.ts';
import type { Clock } from '../clock.ts';
import { blobUploads } from './blobUploads.ts';

export interface BlobCollectorOptions {
  db: SqlExecutor;
  blobs: BlobStore;
  graceSeconds: number;
  /** Whether the chain has this content id registered (or had, before an erasure). */
  isRegistered: (contentId: Hex) => Promise<boolean>;
  /** The gateway's clock (server.ts): an upload's age. */
  clock: Clock;
}

export function createBlobCollector(options: BlobCollectorOptions) {
  const uploads = blobUploads(options.db, options.clock);
  const now = () => options.clock.seconds();
  let running: Promise<number> | undefined;

  async function collectOnce(): Promise<number> {
    let collected = 0;
    for (const blob of await uploads.unreferencedBefore(now() - options.graceSeconds)) {
      if (!blob.registeredByOther && await options.isRegistered(blob.contentId)) continue;
      await options.blobs.delete(blob.cid);
      await uploads.forget(blob.contentId);
      collected++;
    }
    return collected;
  }

  return {
    /** Deletes every unregistered upload past the grace period; returns how many blobs went. One run at a time. */
    collect(): Promise<number> {
      running ??= collectOnce().finally(() => { running = undefined; });
      return running;
    },
  };
}

export type BlobCollector = ReturnType<typeof createBlobCollector>;
