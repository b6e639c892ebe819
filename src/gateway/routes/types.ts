/**
 * What the gateway's data routes share: the signed-in caller (set by the auth middleware from a
 * Sign-In with Ethereum session, role read from chain) and the services they use.
 */
import type { Address, PublicClient } from 'viem';
import type { MedChainAddresses } from '../../sdk/contracts.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { GatewayRole } from '../chain/access.ts';
import type { GatewayAccess } from '../consent/access.ts';
import type { Relayer } from '../chain/relayer.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { EnvelopeStore } from '../index/envelopes.ts';
import type { EscrowCustodianService, EscrowStore } from '../escrow/custodian.ts';
import type { BlobUploads } from '../index/blobUploads.ts';
import type { Shredder } from '../index/shredder.ts';
import type { PeerExchange } from '../peers/peerExchange.ts';
import type { PeerReplicas } from '../peers/replicas.ts';
import type { CategoryKeys } from '../index/categoryKeys.ts';
import type { AccessLogger } from '../audit/entry.ts';
import type { Clock } from '../clock.ts';

export interface Session {
  address: Address;
  role: GatewayRole;
}

export type GatewayEnv = { Variables: { session: Session } };

export type { AccessLogEntry, AccessLogger } from '../audit/entry.ts';

export interface DataRouteDeps {
  client: PublicClient;
  addresses: MedChainAddresses;
  access: GatewayAccess;
  index: SqlExecutor;
  envelopes: EnvelopeStore;
  blobs: BlobStore;
  relayer: Relayer;
  audit: AccessLogger;
  /** Break-glass escrow shares deposited here, and the custodian keys this gateway holds. */
  escrow: EscrowStore;
  custodian: EscrowCustodianService;
  /** One SQL transaction (deposits land all or nothing). */
  transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T>;
  /** Who uploaded which ciphertext, and the per-account limits on what they may keep here. */
  uploads: BlobUploads;
  uploadQuota: UploadQuota;
  /** Works off the crypto-shredding jobs the indexer queues at RecordErased. */
  shredder: Pick<Shredder, 'settle'>;
  /** Resolves once the indexer has caught up with the chain head. */
  indexed: () => Promise<void>;
  /** Ciphertexts fetched from other hospitals and verified by CID (served like local uploads). */
  replicas?: PeerReplicas;
  /** In a consortium: fetches what another hospital's gateway holds (peers/peerExchange.ts). */
  peers?: PeerExchange;
  /** The category keys of the patients this gateway serves: types to blinded categories and back. */
  categories: CategoryKeys;
  /** The gateway's one clock (server.ts). */
  clock: Clock;
}

/**
 * Per-account upload limits (GatewayOptions.storage.quota). "Pending" uploads are those no indexed
 * record version names yet; they are garbage-collected after the grace period.
 */
export interface UploadQuota {
  /** Bytes of ciphertext an account may keep here, registered or not. */
  bytes: number;
  /** Blobs an account may keep here, registered or not. */
  count: number;
  pendingBytes: number;
  pendingCount: number;
  /** Seconds after which an unregistered upload is deleted (for the error message). */
  graceSeconds: number;
}
