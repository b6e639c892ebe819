/** What `startGateway` takes and returns: its options (chain, storage, keys, research) and the running gateway's handle. */
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { EIP1193RequestFn, Hex, PublicClient } from 'viem';
import type { MedChainAddresses } from '../sdk/contracts.ts';
import type { BlobStore } from '../storage/BlobStore.ts';
import type { createAccessLog } from './audit/accessLog.ts';
import type { Clock } from './clock.ts';
import type { GatewayAccess } from './consent/access.ts';
import type { Database } from './db/index.ts';
import type { createIndexer } from './db/indexer.ts';
import type { CustodialKey, CustodianKey, StudyComputeKey } from '../keys/keyRing.ts';
import type { CustodianView } from './escrow/custodian.ts';
import type { PeerExchange, PeerOptions } from './peers/peerExchange.ts';
import type { UploadQuota } from './routes/types.ts';

export interface GatewayOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** The chain: an in-process EIP-1193 provider (the embedded node) or a JSON-RPC URL. */
  provider?: { request: EIP1193RequestFn };
  rpcUrl?: string;
  chainId: number;
  addresses: MedChainAddresses;
  /**
   * The hospital's operator key: relays patients' signed consent, anchors the access log (an admin
   * registers it with AccessLogAnchor.setAnchorer). It opens no escrowed key; see `escrow`.
   */
  operatorKey: Hex;
  /** Block the contracts were deployed at (the indexer starts there). */
  deployBlock?: bigint;
  /** Domains accepted in Sign-In with Ethereum messages (default: host:port and localhost:port). */
  domains?: string[];
  corsOrigins?: string[];
  /** Built web UI to serve at / (default web/dist when it exists). */
  webDist?: string;
  /** Seconds between access-log period closes and anchors (default 60). */
  anchorPeriodSeconds?: number;
  /** Seconds between sweeps removing the envelopes of readers whose access ended (default 30). */
  sweepSeconds?: number;
  /** Indexer poll interval in ms (default 500). */
  pollMs?: number;
  db?: Database;
  /** PostgreSQL instead of the SQLite file in dataDir: postgres://user:password@host:port/database (ignored when `db` is given). */
  databaseUrl?: string;
  blobs?: BlobStore;
  rateLimitPerMinute?: number;
  /**
   * Break-glass escrow: the custodian keys this gateway holds (each from its own keystore; none
   * means this gateway publishes no custodian of its own), the threshold clients split data keys
   * with (default 2), the other hospitals' custodians in a consortium, and a migrated data
   * directory's legacy keys (open old shares only).
   */
  escrow?: { custodianKeys?: CustodianKey[]; threshold?: number; peers?: CustodianView[]; legacyKeys?: CustodianKey[] };
  /** Accounts whose keys the hospital holds (EHR integrations, device bridges): FHIR encrypts and decrypts for them. */
  custodialKeys?: CustodialKey[];
  /**
   * The URL clients reach this gateway at (behind a proxy: the proxy's), used for FHIR fullUrl,
   * Location and link URLs and the OpenAPI servers entry. Default: http://host:port it listens on.
   * The request's Host header is never used (it is the client's to choose: issue 14 item 12).
   */
  publicUrl?: string;
  /** Where the gateway logs (default: pino to stdout at MEDCHAIN_LOG_LEVEL); tests capture it. */
  logger?: Logger;
  /** Upload quotas, garbage collection and crypto-shredding of the record store (docs/gateway.md#storage-limits). */
  storage?: StorageOptions;
  /**
   * A consortium: this hospital's name and every hospital's gateway URL and operator. Records,
   * envelopes and escrow bundles written at another hospital are fetched from its gateway by signed
   * requests (docs/consortium-sharing.md); /peer/v1 serves the others.
   */
  peers?: PeerOptions;
  /** Research studies (docs/research.md): the study compute keys this hospital holds (keys/study-compute.json). */
  research?: { computeKeys?: StudyComputeKey[] };
  /** The clock the gateway judges every time by (default: the host's; clock.ts). */
  clock?: Clock;
}

export interface StorageOptions {
  /** Per-account limits; defaults in DEFAULT_UPLOAD_QUOTA. */
  quota?: Partial<Omit<UploadQuota, 'graceSeconds'>>;
  /** Seconds an upload may stay unregistered on chain before it is garbage-collected (default 86,400: a day). */
  gcGraceSeconds?: number;
  /** Seconds between garbage-collection runs (default 600). */
  gcIntervalSeconds?: number;
  /** Milliseconds between runs of the shredding worker (default 1,000). */
  shredIntervalMs?: number;
  /** Fault injection for crash tests: called after each blob the shredder deletes, before it records that. */
  afterShredBlobDeleted?: (contentId: Hex) => void | Promise<void>;
  /** Bytes of hot ciphertext kept in memory (default 64 MiB; 0 turns the cache off). See docs/gateway.md#blob-cache. */
  blobCacheBytes?: number;
}

/** Per-account defaults: generous for a hospital's EHR account, small enough that junk cannot fill a disk quickly. */
export const DEFAULT_UPLOAD_QUOTA: Omit<UploadQuota, 'graceSeconds'> = {
  bytes: 16 * 2 ** 30, count: 1_000_000, pendingBytes: 1 * 2 ** 30, pendingCount: 10_000,
};

export interface Gateway {
  url: string;
  app: Hono;
  db: Database;
  client: PublicClient;
  accessLog: ReturnType<typeof createAccessLog>;
  indexer: ReturnType<typeof createIndexer>;
  /** Authorization (consent view, chain fallback); `access.cacheStats()` counts where decisions came from. */
  access: GatewayAccess;
  /** The ciphertext store the routes use (behind the blob cache unless it is off). */
  blobs: BlobStore;
  /** Removes the envelopes of readers whose access ended; returns how many. */
  sweepEnvelopes(): Promise<number>;
  /** Runs the pending crypto-shredding jobs now (they also run on a timer); returns how many finished. */
  shredPending(): Promise<number>;
  /** Garbage-collects unregistered uploads past the grace period now; returns how many blobs went. */
  collectGarbage(): Promise<number>;
  /** Gateway-to-gateway exchange in a consortium (traffic counters for the bench). */
  peers?: PeerExchange;
  /** Deletes the data keys shared with studies that closed or ended; returns how many. */
  sweepEndedStudies(): Promise<number>;
  close(): Promise<void>;
}

/** The gateway could not bind its port; `code` is the system's (EADDRINUSE, EACCES…). */
export class GatewayListenError extends Error {
  readonly code: string | undefined;
  constructor(readonly host: string, readonly port: number, cause: NodeJS.ErrnoException) {
    super(`the gateway cannot listen on ${host}:${port}: ${cause.code === 'EADDRINUSE' ? 'the port is already in use' : cause.code ?? cause.message}`, { cause });
    this.code = cause.code;
  }
}
