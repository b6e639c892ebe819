/**
 * The reading side of gateway-to-gateway exchange: when a reader at this hospital may read a
 * record (decided by the route, from chain state) but this gateway holds no ciphertext or no key
 * envelope for it, ask the other hospitals' gateways — each request signed with this hospital's
 * operator key (peerRequest.ts) — and keep what they send:
 *
 * - ciphertexts are verified against the content id registered on chain before they are stored
 *   (a peer serving other bytes is detected, logged and skipped) and then kept as replicas
 *   (replicas.ts): later reads, and other hospitals, are served from here, also while the writing
 *   hospital is offline;
 * - the reader's key envelope is kept like a deposited one (the envelope sweep removes it when the
 *   reader's access ends);
 * - escrow bundles are fetched for a custodian release and kept once this hospital's own share
 *   opened from them (records.ts).
 * Peers are asked in consortium.json order; when nobody reachable has it and some hospital could
 * not be reached, the reader gets a 503 naming the unreachable hospitals.
 */
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Logger } from 'pino';
import type { DepositedEscrow, EscrowStore } from '../escrow/custodian.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import type { EnvelopeStore } from '../index/envelopes.ts';
import type { BlobUploads } from '../index/blobUploads.ts';
import { cidOf } from '../../storage/cid.ts';
import { cidOrUndefined } from '../../sdk/records.ts';
import { PeerIntegrityError, PeerUnavailableError } from './errors.ts';
import { signPeerRequest } from './peerRequest.ts';
import type { Clock } from '../clock.ts';
import type { PeerReplicas } from './replicas.ts';

export interface PeerHospital { name: string; gatewayUrl: string; operator: Address }

export interface PeerOptions {
  /** This hospital's name in consortium.json. */
  self: string;
  /** Every hospital of the consortium (this one included; it is skipped when asking). */
  hospitals: PeerHospital[];
  /** Milliseconds before a peer that does not answer counts as unreachable (default 5,000). */
  timeoutMs?: number;
}

/** Bytes this gateway sent to and received from peers as a client (request line + headers, response body). */
export interface PeerTraffic { requests: number; bytesSent: number; bytesReceived: number; integrityFailures: number }

const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
/** A peer's JSON answer, or undefined when it is not JSON (a misbehaving peer is skipped, not fatal). */
function jsonOf<T>(body: Uint8Array): Partial<T> | undefined {
  try { return JSON.parse(new TextDecoder().decode(body)) as Partial<T>; } catch { return undefined; }
}

export function peerExchange(deps: { blobs: BlobStore; envelopes: EnvelopeStore; escrow: EscrowStore; uploads: BlobUploads } & {
  options: PeerOptions; chainId: number; operatorKey: Hex; replicas: PeerReplicas; log: Logger; clock: Clock;
}) {
  const account = privateKeyToAccount(deps.operatorKey);
  const others = deps.options.hospitals.filter((h) => h.name !== deps.options.self);
  const traffic: PeerTraffic = { requests: 0, bytesSent: 0, bytesReceived: 0, integrityFailures: 0 };

  type Answer = { status: number; body: Uint8Array } | 'unreachable';
  async function ask(peer: PeerHospital, path: string, cid = '-'): Promise<Answer> {
    const headers = await signPeerRequest(account, { chainId: deps.chainId, to: peer.name, method: 'GET', path, cid }, deps.clock);
    traffic.requests++;
    traffic.bytesSent += `GET ${path} HTTP/1.1\r\n`.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    try {
      const response = await fetch(new URL(path, peer.gatewayUrl), { headers, signal: AbortSignal.timeout(deps.options.timeoutMs ?? 5_000) });
      const body = new Uint8Array(await response.arrayBuffer());
      traffic.bytesReceived += body.length;
      return { status: response.status, body };
    } catch {
      return 'unreachable';
    }
  }

  /** Asks each peer in turn; `accept` returns the value or undefined to try the next one. */
  async function firstFrom<T>(what: string, path: string, cid: string | undefined, accept: (peer: PeerHospital, body: Uint8Array) => Promise<T | undefined>): Promise<T | undefined> {
    const unreachable: string[] = [];
    const corrupt: string[] = [];
    for (const peer of others) {
      const answer = await ask(peer, path, cid);
      if (answer === 'unreachable') { unreachable.push(peer.name); continue; }
      if (answer.status !== 200) continue;
      const value = await accept(peer, answer.body);
      if (value !== undefined) return value;
      corrupt.push(peer.name);
    }
    if (unreachable.length > 0) throw new PeerUnavailableError(what, unreachable);
    if (corrupt.length > 0) throw new PeerIntegrityError(corrupt);
    return undefined;
  }

  return {
    traffic,
    /**
     * Makes sure this gateway holds the ciphertext of a version it may serve `reader`: uploaded here
     * by its author, or a verified replica; otherwise fetched from a peer and checked by CID.
     */
    async ensureCiphertext(recordId: Hex, v: number, ver: { contentId: Hex; author: Address }, reader: Address): Promise<void> {
      const cid = cidOrUndefined(ver.contentId);
      if (!cid) return;
      const held = (await deps.uploads.uploadedBy(ver.contentId, ver.author) || await deps.replicas.holds(ver.contentId, recordId, v)) && await deps.blobs.has(cid);
      if (held) return;
      const path = `/peer/v1/records/${recordId}/versions/${v}/ciphertext?cid=${cid}&reader=${reader}`;
      await firstFrom('the ciphertext of this record', path, cid, async (peer, bytes) => {
        // Verified by content id before anything is stored: a peer cannot substitute bytes.
        if (cidOf(bytes) !== cid) {
          traffic.integrityFailures++;
          deps.log.warn({ peer: peer.name }, 'a peer served bytes that do not match the registered content id; discarded');
          return undefined;
        }
        await deps.blobs.put(bytes);
        await deps.replicas.record({ contentId: ver.contentId, cid, recordId, version: v, source: peer.name, size: bytes.length });
        return true;
      });
    },
    /** Makes sure this gateway holds `reader`'s key envelope for a version, fetching it from a peer if not. */
    async ensureEnvelope(recordId: Hex, v: number, reader: Address): Promise<void> {
      if (await deps.envelopes.get(recordId, v, reader)) return;
      await firstFrom('the key envelope of this record', `/peer/v1/records/${recordId}/versions/${v}/envelope?reader=${reader}`, undefined, async (_peer, body) => {
        const parsed = jsonOf<{ envelope: unknown }>(body);
        if (typeof parsed?.envelope !== 'string' || parsed.envelope.length === 0 || parsed.envelope.length > 4096) return undefined;
        await deps.envelopes.put([{ recordId, version: v, recipient: reader, envelope: unb64(parsed.envelope), kind: 'data-key' }], { self: reader });
        return true;
      });
    },
    /** The escrow bundle of a version from a peer (for a custodian release under `requester`'s break-glass). */
    async escrowBundle(recordId: Hex, v: number, requester: Address): Promise<DepositedEscrow | undefined> {
      return firstFrom('the escrow bundle of this record', `/peer/v1/records/${recordId}/versions/${v}/escrow?requester=${requester}`, undefined, async (_peer, body) => {
        const parsed = jsonOf<{ threshold: unknown; commitment: unknown; shares: unknown }>(body);
        if (!parsed || typeof parsed.threshold !== 'number' || typeof parsed.commitment !== 'string' || !Array.isArray(parsed.shares)) return undefined;
        return {
          threshold: parsed.threshold, commitment: unb64(parsed.commitment),
          shares: (parsed.shares as Array<{ custodian: string; index: number; envelope: string }>).map((s) => ({ custodian: String(s.custodian), index: Number(s.index), envelope: unb64(String(s.envelope)) })),
        };
      });
    },
  };
}

export type PeerExchange = ReturnType<typeof peerExchange>;
