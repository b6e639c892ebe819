/**
 * Authorization from the consent view, with the chain as fallback; the same interface as
 * createChainAccess (src/gateway/chain/access.ts), so the routes do not change.
 *
 * Consistency rule (docs/gateway.md#authorization): a decision is never made from a view older
 * than the latest block the gateway has seen. The gateway sees a block when the embedded node
 * announces it (in-process 'block' event: no call at all), when the indexer or the relayer learns
 * of it, or — on an external node, which announces nothing — from one `eth_blockNumber` per round
 * of requests (shared by every request that arrives while it is in flight; never an `eth_call`).
 * When the view is behind that block, the request wakes the indexer and waits for it (bounded:
 * `waitMs`); if it is still behind then, the request is decided from chain reads pinned to the
 * latest block (the previous path, kept as the fallback), never from the older view. So a
 * revocation mined in block n denies from block n on. Time is judged as before: `decideAccess` at
 * the wall-clock second, never earlier than the block's time.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { decideAccess, type AccessDecision, type ChainAccess, type GatewayRole, type PinnedBlock } from '../chain/access.ts';
import type { Clock } from '../clock.ts';
import { ViewIncompleteError, type ConsentView, type RecordView, type VersionView, type ViewBlock } from './view.ts';

export interface ViewAccessOptions {
  view: ConsentView;
  /** The chain path (createChainAccess with the view's `isWithdrawn`): the fallback. */
  chain: ChainAccess;
  client: PublicClient;
  /** Asks the indexer to sync now (a block it has not indexed is known). */
  kick: () => void;
  /** True when new blocks are announced in process (`seen` is then always current: no head call per request). */
  announced?: boolean;
  /** How long a request waits for the indexer before it falls back to chain reads (default 250 ms). */
  waitMs?: number;
  /** The gateway's clock (server.ts), the same one the chain path judges by. */
  clock: Clock;
}

export function createViewAccess({ view, chain, client, kick, announced = false, waitMs = 250, clock }: ViewAccessOptions) {
  const now = () => clock.chainSeconds();
  let seen = 0n;
  const stats = { viewDecisions: 0, chainDecisions: 0, headCalls: 0, waits: 0, fallbacks: 0 };

  /** The gateway has seen block `n` (a node announcement, the indexer's poll, a relayed receipt). */
  const see = (n: bigint) => { if (n > seen) seen = n; };

  // Like createChainAccess's pinnedBlock: callers that ask while a head call is in flight share
  // the next one (never the one under way, which may predate a block they must see).
  let inFlight: Promise<bigint> | undefined;
  let queued: Promise<bigint> | undefined;
  function polledHead(): Promise<bigint> {
    if (!inFlight) {
      stats.headCalls++;
      inFlight = client.request({ method: 'eth_blockNumber' }).then((n) => { const head = BigInt(n); see(head); return head; })
        .finally(() => { inFlight = undefined; });
      return inFlight;
    }
    queued ??= inFlight.catch(() => undefined).then(() => { queued = undefined; return polledHead(); });
    return queued;
  }

  const viewPin = (b: ViewBlock): PinnedBlock => ({ blockNumber: b.number, timestamp: b.timestamp, hash: b.hash, source: 'view' });

  /** A view at least as new as the latest block seen, or (lagging past `waitMs`) the chain's latest block. */
  async function pin(): Promise<PinnedBlock> {
    const head = announced ? seen : await polledHead();
    const current = view.through();
    if (current && current.number >= head) return viewPin(current);
    stats.waits++;
    kick();
    try {
      await view.waitFor(head, waitMs);
      return viewPin(view.through()!);
    } catch {
      stats.fallbacks++;
      return { ...(await chain.pin()), source: 'chain' };
    }
  }

  /** The view's newest block time: decisions use the state as of now, which is never older than `at`. */
  const viewTime = (at: PinnedBlock) => {
    const t = view.through()?.timestamp ?? at.timestamp;
    return t > at.timestamp ? t : at.timestamp;
  };

  return {
    see,

    async authorizeRecord(args: { patient: Address; accessor: Address; category: Hex; recordId: Hex; permission: number }, at?: PinnedBlock): Promise<AccessDecision> {
      const block = at ?? await pin();
      if (block.source !== 'view') {
        stats.chainDecisions++;
        return chain.authorizeRecord(args, block);
      }
      stats.viewDecisions++;
      const state = view.state.accessState(args.patient, args.accessor, args.category, args.recordId, viewTime(block), view.isWithdrawn);
      return decideAccess(state, args.permission, now());
    },

    pin,

    async record(recordId: Hex, at?: PinnedBlock): Promise<RecordView> {
      const block = at ?? await pin();
      if (block.source === 'view') {
        try { return await view.record(recordId); } catch (error) { if (!(error instanceof ViewIncompleteError)) throw error; }
      }
      return await chain.record(recordId, block.source === 'view' ? undefined : block) as RecordView;
    },

    async version(recordId: Hex, version: number, at?: PinnedBlock): Promise<VersionView> {
      const block = at ?? await pin();
      if (block.source === 'view') {
        try { return await view.version(recordId, version); } catch (error) { if (!(error instanceof ViewIncompleteError)) throw error; }
      }
      return await chain.version(recordId, version, block.source === 'view' ? undefined : block) as VersionView;
    },

    async resolveRole(address: Address): Promise<GatewayRole> {
      const block = await pin();
      return block.source === 'view' ? view.state.role(address) : chain.resolveRole(address);
    },

    /**
     * Counters for the bench: decisions made from the view and from chain reads, head calls,
     * waits for the indexer and fallbacks; `misses` (reads sent to the node by the chain path)
     * stays 0 per read in the steady state.
     */
    cacheStats: () => ({ ...chain.cacheStats(), ...stats, view: view.stats() }),

    /** The time consent is judged at: the wall clock, never earlier than the block the view (or chain) is at. */
    async clock(): Promise<bigint> {
      const block = await pin();
      const t = block.source === 'view' ? viewTime(block) : block.timestamp;
      const wall = now();
      return wall > t ? wall : t;
    },

    /** A patient's signed revocation was accepted: deny the grant from now on (see view.ts). */
    withdrawGrant: (grantId: bigint, patient: Address) => view.withdraw(grantId, patient, now()),
    /** Lift a withdrawal: the signature was refused, or the patient acted on the grant again. */
    restoreGrant: (grantId: bigint) => view.restore(grantId),
  };
}

export type GatewayAccess = ReturnType<typeof createViewAccess>;
