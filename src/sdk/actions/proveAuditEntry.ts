/**
 * Proves one access-log entry against the chain, so the gateway's word is not needed: the gateway's
 * RFC 6962 inclusion proof (GET /api/audit/:seq/proof) is checked here against the root and entry
 * count its gateway anchored on chain (AccessLogAnchor.getAnchor). Runs in Node and browsers.
 */
import type { Hex, PublicClient } from 'viem';
import { AccessLogAnchorAbi, type MedChainAddresses } from '../contracts.ts';
import { canonicalEntry, verifyInclusion, type LogEntry } from '../auditProof.ts';
import type { GatewayClient, InclusionProofView } from '../gateway.ts';

export interface ProveAuditEntryParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  seq: number;
  /** The entry as the caller was shown it (e.g. from gateway.audit()): the proof must be of this very entry. */
  expected?: LogEntry;
}

export interface ProveAuditEntryReturnType {
  proof: InclusionProofView;
  /** What the chain holds for the proof's period (entryCount 0: not anchored yet). */
  anchor: { root: Hex; entryCount: bigint };
  anchored: boolean;
  /** The proven entry is `expected`, field for field as hashed (true when nothing was expected). */
  matchesEntry: boolean;
  /** Anchored, the expected entry, and its path leads to the anchored root over the anchored count. */
  verified: boolean;
}

const canonicalText = (e: LogEntry) => new TextDecoder().decode(canonicalEntry(e));

/**
 * Fetches entry `seq`'s proof and checks it against the chain. The gateway's NotFoundError (404)
 * passes through: the entry's period is not closed yet (it closes and is anchored shortly) or there
 * is no such entry.
 * @example const { verified, proof } = await proveAuditEntry({ gateway, client, addresses, seq: 7, expected: entry })
 */
export async function proveAuditEntry(options: ProveAuditEntryParameters): Promise<ProveAuditEntryReturnType> {
  const { gateway, client, addresses, seq, expected } = options;
  const proof = await gateway.auditProof(seq);
  const anchor = await client.readContract({ address: addresses.accessLogAnchor, abi: AccessLogAnchorAbi, functionName: 'getAnchor', args: [proof.gateway, BigInt(proof.periodId)] });
  const anchored = anchor.entryCount > 0n;
  const matchesEntry = proof.entry.seq === seq && (!expected || canonicalText(proof.entry) === canonicalText(expected));
  const verified = anchored && matchesEntry && verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount });
  return { proof, anchor: { root: anchor.root, entryCount: anchor.entryCount }, anchored, matchesEntry, verified };
}
