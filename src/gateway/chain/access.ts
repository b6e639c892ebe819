/**
 * Authorization from chain state: may this caller read or write this record *now*?
 *
 * The contracts decide with `block.timestamp`, but the latest block can be seconds (or, on an idle
 * embedded node, minutes) old. So the gateway reads the state that decides — the caller's standing,
 * the grants in the three slots that could cover the record, the break-glass window — pinned to one
 * block, and applies the contracts' own rule at the wall-clock second (never earlier than the
 * block's time). A grant therefore ends for the gateway at `validUntil` exactly, whether or not a
 * block was sealed then. The decision also says until when it holds, for the UI's count-downs.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { ConsentAbi, IdentityAbi, Permission, RecordRegistryAbi, Role, ScopeKind, type GrantTerms, type MedChainAddresses } from '../../sdk/contracts.ts';
import type { Clock } from '../clock.ts';

export type GatewayRole = 'admin' | 'auditor' | 'patient' | 'provider' | 'device' | 'none';

export type AccessBasis = 'patient' | 'grant' | 'break-glass';
export type DenialReason = 'no-grant' | 'expired' | 'revoked' | 'not-yet-valid' | 'permission' | 'suspended' | 'not-registered';

export type AccessDecision =
  | { allowed: true; basis: AccessBasis; grantId?: bigint; until?: bigint; purpose?: Hex }
  | { allowed: false; reason: DenialReason };

/** A grant as the gateway judges it: its terms (grantee aside) and whether it was revoked. */
export type GrantSnapshot = Omit<GrantTerms, 'grantee'> & { grantId: bigint; revokedAt: bigint };

export interface AccessState {
  accessor: Address;
  patient: Address;
  /** Accredited and not suspended. */
  activeProvider: boolean;
  /** Registered provider, whatever the status. */
  provider: boolean;
  /** The device's patient, or zero. */
  deviceOwner: Address;
  /** Current grants in the All, Category and Record slots (absent when the slot is empty). */
  grants: GrantSnapshot[];
  emergencyUntil: bigint;
  blockTimestamp: bigint;
}

/** The contracts' rule (Consent.canAccessRecord) at time `now`, with the reason when it says no. */
export function decideAccess(state: AccessState, permission: number, now: bigint): AccessDecision {
  if (state.accessor.toLowerCase() === state.patient.toLowerCase()) return { allowed: true, basis: 'patient' };
  const device = state.deviceOwner.toLowerCase() === state.patient.toLowerCase();
  if (!state.activeProvider && !device) return { allowed: false, reason: state.provider ? 'suspended' : 'not-registered' };
  const t = now > state.blockTimestamp ? now : state.blockTimestamp;
  let best: AccessDecision | undefined;
  let reason: DenialReason = 'no-grant';
  const rank: DenialReason[] = ['no-grant', 'expired', 'revoked', 'not-yet-valid', 'permission'];
  const worse = (r: DenialReason) => { if (rank.indexOf(r) > rank.indexOf(reason)) reason = r; };
  for (const g of state.grants) {
    if (g.revokedAt !== 0n) { worse('revoked'); continue; }
    if (t < g.validFrom) { worse('not-yet-valid'); continue; }
    if (t >= g.validUntil) { worse('expired'); continue; }
    if ((g.permissions & permission) !== permission) { worse('permission'); continue; }
    if (!best || (best.allowed && (best.until ?? 0n) < g.validUntil)) {
      best = { allowed: true, basis: 'grant', grantId: g.grantId, until: g.validUntil, purpose: g.purpose };
    }
  }
  if (best) return best;
  if (permission === Permission.Read && state.activeProvider && state.emergencyUntil > t) {
    return { allowed: true, basis: 'break-glass', until: state.emergencyUntil };
  }
  return { allowed: false, reason };
}

/**
 * The withdrawn-grant rule, for both paths (chain reads here, the consent view in consent/state.ts):
 * a grant whose revocation the gateway accepted but the chain has not recorded yet counts as
 * revoked at `at` (the block's time; never 0, which would read as "not revoked").
 */
export function withWithdrawal(g: GrantSnapshot, isWithdrawn: ((grantId: bigint) => boolean) | undefined, at: bigint): GrantSnapshot {
  return g.revokedAt === 0n && isWithdrawn?.(g.grantId) ? { ...g, revokedAt: at > 0n ? at : 1n } : g;
}

/**
 * A block one request's reads are pinned to. `source` says where they come from: the consent view
 * (src/gateway/consent) or chain reads at that block (the default, and the view's fallback).
 */
export interface PinnedBlock { blockNumber: bigint; timestamp: bigint; hash: Hex; source?: 'view' | 'chain' }

export interface ChainAccessOptions {
  client: PublicClient;
  addresses: MedChainAddresses;
  /** The gateway's clock (server.ts): consent is judged at its second. */
  clock: Clock;
  /** Grants the gateway counts as revoked whatever the chain says yet (revocations it accepted, not mined). */
  isWithdrawn?: (grantId: bigint) => boolean;
}

export function createChainAccess({ client, addresses, clock, isWithdrawn }: ChainAccessOptions) {
  const now = () => clock.chainSeconds();
  const identity = { address: addresses.identity, abi: IdentityAbi } as const;
  const consent = { address: addresses.consent, abi: ConsentAbi } as const;
  const registry = { address: addresses.recordRegistry, abi: RecordRegistryAbi } as const;
  const ZERO: Hex = `0x${'00'.repeat(32)}`;

  /**
   * Chain reads memoized for one block only. Every decision first asks for the latest block (one
   * cheap call); the views it needs are then read pinned to that block, and a read made for the
   * same block (same hash) by an earlier request is reused. When the latest block's hash changes
   * (a new block, or a reorg) the whole memo is dropped, so no decision is ever made from state
   * older than the latest block the request saw: a revocation mined in block n denies from block
   * n on. The time rule (decideAccess at the wall clock) is still applied per request.
   */
  let memo: { hash: Hex; blockNumber: bigint; reads: Map<string, Promise<unknown>> } | undefined;
  const stats = { blocks: 0, hits: 0, misses: 0 };
  const MEMO_MAX_READS = 50_000;

  /**
   * The latest block, from a node call that started after the caller asked: callers that ask while
   * a call is in flight share the next one (never the one already under way, which may predate a
   * block they must see). Under load that is one or two block reads per round, not one per request.
   */
  let inFlight: Promise<PinnedBlock> | undefined;
  let queued: Promise<PinnedBlock> | undefined;
  function pinnedBlock(): Promise<PinnedBlock> {
    if (!inFlight) {
      // Raw call: the three fields needed, without formatting the whole block (hot path).
      inFlight = client.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })
        .then((block) => {
          if (!block?.hash || !block.number) throw new Error('the node returned no latest block');
          return { blockNumber: BigInt(block.number), timestamp: BigInt(block.timestamp), hash: block.hash };
        })
        .finally(() => { inFlight = undefined; });
      return inFlight;
    }
    queued ??= inFlight.catch(() => undefined).then(() => { queued = undefined; return pinnedBlock(); });
    return queued;
  }

  /** `read()` at `blockNumber`, shared by every request that pinned the same block. */
  function memoized<T>(block: { blockNumber: bigint; hash: Hex }, key: string, read: () => Promise<T>): Promise<T> {
    // Bounded: a block's worth of distinct records read beyond the cap starts the memo afresh.
    if (memo?.hash !== block.hash || memo.reads.size >= MEMO_MAX_READS) {
      memo = { hash: block.hash, blockNumber: block.blockNumber, reads: new Map() };
      stats.blocks++;
    }
    const reads = memo.reads;
    const hit = reads.get(key) as Promise<T> | undefined;
    if (hit) { stats.hits++; return hit; }
    stats.misses++;
    const pending = read();
    reads.set(key, pending);
    // A failed read (node restarting, timeout) is not remembered.
    pending.catch(() => { if (reads.get(key) === pending) reads.delete(key); });
    return pending;
  }

  /** Reads everything `decideAccess` needs, at one block. */
  async function accessState(patient: Address, accessor: Address, category: Hex, recordId: Hex, pinned?: PinnedBlock): Promise<AccessState> {
    const block = pinned ?? await pinnedBlock();
    const at = { blockNumber: block.blockNumber };
    const p = patient.toLowerCase();
    const a = accessor.toLowerCase();
    const view = <T>(key: string, read: () => Promise<T>) => memoized(block, key, read);
    const slot = (kind: number, value: Hex) => view(`grant:${p}:${a}:${kind}:${value.toLowerCase()}`, async () => {
      const grantId = await client.readContract({ ...consent, functionName: 'currentGrant', args: [patient, accessor, kind, value], ...at }) as bigint;
      if (grantId === 0n) return undefined;
      const g = await client.readContract({ ...consent, functionName: 'getGrant', args: [grantId], ...at });
      return { grantId, scopeKind: g.scopeKind, scopeValue: g.scopeValue, permissions: g.permissions, purpose: g.purpose, validFrom: g.validFrom, validUntil: g.validUntil, revokedAt: g.revokedAt } satisfies GrantSnapshot;
    });
    const [who, emergencyUntil, ...slots] = await Promise.all([
      view(`identity:${a}`, async () => {
        const [activeProvider, role, deviceOwner] = await Promise.all([
          client.readContract({ ...identity, functionName: 'isActiveProvider', args: [accessor], ...at }),
          client.readContract({ ...identity, functionName: 'roleOf', args: [accessor], ...at }),
          client.readContract({ ...identity, functionName: 'deviceOwner', args: [accessor], ...at }),
        ]);
        return { activeProvider: activeProvider as boolean, provider: role === Role.Provider, deviceOwner: deviceOwner as Address };
      }),
      view(`emergency:${p}:${a}`, async () => (await client.readContract({ ...consent, functionName: 'emergencyOf', args: [patient, accessor], ...at }) as { until: bigint }).until),
      slot(ScopeKind.All, ZERO), slot(ScopeKind.Category, category), slot(ScopeKind.Record, recordId),
    ]);
    const grants = slots.filter((g): g is GrantSnapshot => g !== undefined)
      .map((g) => withWithdrawal(g, isWithdrawn, block.timestamp));
    return { accessor, patient, ...who, grants, emergencyUntil, blockTimestamp: block.timestamp };
  }

  return {
    /** Whether `accessor` may use `permission` on the record now, why, and until when. */
    async authorizeRecord(args: { patient: Address; accessor: Address; category: Hex; recordId: Hex; permission: number }, at?: PinnedBlock): Promise<AccessDecision> {
      const state = await accessState(args.patient, args.accessor, args.category, args.recordId, at);
      return decideAccess(state, args.permission, now());
    },

    /** The latest block, to pin one request's reads (record, version, decision) to the same state. */
    pin: pinnedBlock,

    /** RecordRegistry.getRecord at the pinned (default: latest) block, shared by requests on that block. */
    async record(recordId: Hex, at?: PinnedBlock) {
      const block = at ?? await pinnedBlock();
      return memoized(block, `record:${recordId.toLowerCase()}`, () =>
        client.readContract({ ...registry, functionName: 'getRecord', args: [recordId], blockNumber: block.blockNumber }));
    },

    /** RecordRegistry.getVersion at the pinned (default: latest) block, shared by requests on that block. */
    async version(recordId: Hex, version: number, at?: PinnedBlock) {
      const block = at ?? await pinnedBlock();
      return memoized(block, `version:${recordId.toLowerCase()}:${version}`, () =>
        client.readContract({ ...registry, functionName: 'getVersion', args: [recordId, version], blockNumber: block.blockNumber }));
    },

    /** The caller's role as the gateway sees it (admin and auditor flags win over the registry role). */
    async resolveRole(address: Address): Promise<GatewayRole> {
      const [admin, auditor, role, active] = await Promise.all([
        client.readContract({ ...identity, functionName: 'isAdmin', args: [address] }),
        client.readContract({ ...identity, functionName: 'isAuditor', args: [address] }),
        client.readContract({ ...identity, functionName: 'roleOf', args: [address] }),
        client.readContract({ ...identity, functionName: 'isActiveProvider', args: [address] }),
      ]);
      if (admin) return 'admin';
      if (auditor) return 'auditor';
      if (role === Role.Patient) return 'patient';
      if (role === Role.Provider) return active ? 'provider' : 'none';
      if (role === Role.Device) return 'device';
      return 'none';
    },

    /** Memo counters: distinct blocks seen, reads served from the memo, reads sent to the node. */
    cacheStats: () => ({ ...stats }),

    /** The time consent is judged at: the wall clock, never earlier than the latest block. */
    async clock(): Promise<bigint> {
      const { timestamp } = await pinnedBlock();
      const wall = now();
      return wall > timestamp ? wall : timestamp;
    },
  };
}

export type ChainAccess = ReturnType<typeof createChainAccess>;
