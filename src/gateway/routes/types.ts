/**
 * What the gateway's data routes share: the signed-in caller (set by the auth middleware from a
 * Sign-In with Ethereum session, role read from chain) and the services they use.
 */
import type { Address, Hex, PublicClient } from 'viem';
import type { MedChainAddresses } from '../../sdk/contracts.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { ChainAccess, GatewayRole } from '../chain/access.ts';
import type { Relayer } from '../chain/relayer.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { EnvelopeStore } from '../index/envelopes.ts';
import type { EscrowCustodianService, EscrowStore } from '../escrow/custodian.ts';

export interface Session {
  address: Address;
  role: GatewayRole;
}

export type GatewayEnv = { Variables: { session: Session } };

/** One access-log entry: who, whose record, which, what, why, and whether it was allowed. No PHI. */
export interface AccessLogEntry {
  actor: Address;
  patient: Address;
  recordId?: Hex;
  action: string;
  purpose: string;
  /** `failed`: allowed, but the operation itself did not complete (e.g. the chain refused the write). */
  outcome: 'allowed' | 'denied' | 'failed';
  reason: string;
}

export interface AccessLogger {
  append(entry: AccessLogEntry): Promise<unknown>;
}

export interface DataRouteDeps {
  client: PublicClient;
  addresses: MedChainAddresses;
  access: ChainAccess;
  index: SqlExecutor;
  envelopes: EnvelopeStore;
  blobs: BlobStore;
  relayer: Relayer;
  audit: AccessLogger;
  /** Break-glass escrow shares deposited here, and the custodian keys this gateway holds. */
  escrow: EscrowStore;
  custodian: EscrowCustodianService;
}
