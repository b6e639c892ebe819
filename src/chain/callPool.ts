/**
 * The node's call workers: eth_call and eth_estimateGas run in worker threads (`callWorker.ts`),
 * never on the event loop that serves JSON-RPC, seals blocks and (in `medchain start`) runs the
 * gateway. geth bounds these calls by gas (`--rpc.gascap`, 50M) and time (`--rpc.evmtimeout`,
 * 5 s); this pool does both, and adds scheduling so that an unauthenticated flood of slow calls
 * cannot delay the calls that matter:
 *
 * - lane `trusted`: the node's in-process callers (the gateway's consent checks). First in line.
 * - lane `public`: JSON-RPC over HTTP/WS and the gateway's `/rpc` pass-through. Each public call
 *   first gets a short slice (`sliceMs`); a call that needs longer goes to the back, into the
 *   `slow` queue, and runs again with the full timeout when a worker is free. Ordinary calls
 *   (milliseconds) never wait behind loops.
 * - Worker 0 never takes slow calls, so a trusted call waits at most one slice.
 *
 * A worker that does not answer within its deadline plus a grace period (stuck outside the
 * interpreter, e.g. in a precompile) is terminated and replaced.
 */
import { Worker } from 'node:worker_threads';
import type { Hex } from './types.ts';
import type { CallJob, CallOutcome, FromWorker, ToWorker } from './callJob.ts';

export type CallLane = 'trusted' | 'public';

export interface CallPoolOptions {
  chainId: number;
  signer: Hex;
  /** A trie node or contract code by its trie-database key (unprefixed hex). */
  readNode: (key: string) => Promise<Uint8Array | undefined>;
  blockHash: (number: bigint) => Promise<Uint8Array | undefined>;
  /** Worker threads (at least 2: one never runs slow calls). Default 2. */
  workers?: number;
  /** Execution timeout of one call (geth --rpc.evmtimeout: 5 s). */
  timeoutMs?: number;
  /** The first slice a public call gets before it is moved behind the fast ones. */
  sliceMs?: number;
  /** Public calls that may wait at once (beyond: -32005). */
  maxQueued?: number;
}

export class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`execution aborted (timeout = ${timeoutMs / 1000}s)`);
    this.name = 'CallTimeoutError';
  }
}
export class CallQueueFullError extends Error {
  constructor() { super('too many calls waiting; retry later'); this.name = 'CallQueueFullError'; }
}
export class CallWorkerError extends Error {
  constructor(message: string) { super(`call failed: ${message}`); this.name = 'CallWorkerError'; }
}

interface Pending {
  job: CallJob; lane: CallLane | 'slow';
  resolve: (o: CallOutcome) => void; reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  /** Set once the worker has loaded (first start takes a second or two): jobs wait until then. */
  ready: boolean;
  busy?: { id: number; pending: Pending; watchdog: NodeJS.Timeout };
  /** Last state read the worker asked for: it is alive (its deadline waits for those reads). */
  lastActivity: number;
}

/** How long past its deadline a silent worker may take before it is terminated. */
const WATCHDOG_GRACE_MS = 2_000;
const WORKER_URL = new URL('./callWorker.ts', import.meta.url).href;

/**
 * The worker runs TypeScript sources, like the rest of MedChain, through tsx's loader. tsx's
 * hooks make loading the ethereumjs packages 2-3x slower (seconds for the VM), so the bootstrap
 * loads those first with Node's own loader, then registers tsx (the worker gets no inherited
 * `--import tsx`: execArgv is emptied) and imports the worker, which finds them in the cache.
 */
const PRELOAD = ['@ethereumjs/vm', '@ethereumjs/evm', '@ethereumjs/mpt', '@ethereumjs/statemanager', '@ethereumjs/block', '@ethereumjs/tx', '@ethereumjs/rlp', '@ethereumjs/util', '@ethereumjs/common'];
const BOOTSTRAP = `Promise.all(${JSON.stringify(PRELOAD.map((m) => import.meta.resolve(m)))}.map((m) => import(m)))
  .then(() => import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}))
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); });`;

export class CallPool {
  private slots: Slot[] = [];
  private queues: Record<'trusted' | 'public' | 'slow', Pending[]> = { trusted: [], public: [], slow: [] };
  private nextId = 0;
  private closed = false;
  readonly timeoutMs: number;
  readonly sliceMs: number;
  private readonly size: number;
  private readonly maxQueued: number;

  constructor(private readonly options: CallPoolOptions) {
    this.size = Math.max(2, options.workers ?? 2);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.sliceMs = Math.min(options.sliceMs ?? 250, this.timeoutMs);
    this.maxQueued = options.maxQueued ?? 1_000;
    // One worker at once; the second is started when the first is busy (most nodes in tests
    // never need it).
    this.spawn(0);
  }

  private spawn(index: number): Slot {
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: { chainId: this.options.chainId, signer: this.options.signer } });
    worker.unref();
    const slot: Slot = { index, worker, ready: false, lastActivity: 0 };
    this.slots[index] = slot;
    worker.on('message', (m: FromWorker) => { void this.onMessage(slot, m); });
    worker.on('error', (e) => this.replace(slot, new CallWorkerError(e.message.split('\n')[0]!.slice(0, 200))));
    worker.on('exit', () => { if (this.slots[index] === slot && !this.closed) this.replace(slot, new CallWorkerError('worker exited')); });
    return slot;
  }

  /** Ends a worker (stuck or crashed), fails its job, and starts a new one in its place. */
  private replace(slot: Slot, error: Error) {
    if (this.slots[slot.index] !== slot) return;
    const busy = slot.busy;
    slot.busy = undefined;
    if (busy) {
      clearTimeout(busy.watchdog);
      if (busy.pending.lane === 'public' && error instanceof CallTimeoutError) {
        busy.pending.lane = 'slow';
        this.queues.slow.push(busy.pending);
      } else busy.pending.reject(error);
    }
    void slot.worker.terminate();
    if (this.closed) return;
    this.spawn(slot.index);
    this.dispatch();
  }

  private async onMessage(slot: Slot, m: FromWorker) {
    if (m.type === 'ready') {
      slot.ready = true;
      this.dispatch();
      return;
    }
    if (m.type === 'node' || m.type === 'blockHash') {
      slot.lastActivity = Date.now();
      let value: Hex | null = null;
      try {
        const bytes = m.type === 'node' ? await this.options.readNode(m.key) : await this.options.blockHash(BigInt(m.number));
        value = bytes ? (`0x${Buffer.from(bytes).toString('hex')}` as Hex) : null;
      } catch { /* answered as missing: the call fails in the worker with a clear error */ }
      slot.worker.postMessage({ type: 'answer', rid: m.rid, value } satisfies ToWorker);
      return;
    }
    const busy = slot.busy;
    if (!busy || busy.id !== m.id) return;
    clearTimeout(busy.watchdog);
    slot.busy = undefined;
    const { pending } = busy;
    if (m.type === 'failed') pending.reject(new CallWorkerError(m.message));
    else if (m.outcome.kind !== 'timeout') pending.resolve(m.outcome);
    else if (pending.lane === 'public') {
      // Used its first slice: behind every fast call, with the full timeout next time.
      pending.lane = 'slow';
      this.queues.slow.push(pending);
    } else pending.reject(new CallTimeoutError(this.timeoutMs));
    this.dispatch();
  }

  run(job: CallJob, lane: CallLane): Promise<CallOutcome> {
    if (this.closed) return Promise.reject(new CallWorkerError('node is shutting down'));
    if (lane === 'public' && this.queues.public.length + this.queues.slow.length >= this.maxQueued) return Promise.reject(new CallQueueFullError());
    return new Promise((resolve, reject) => {
      this.queues[lane].push({ job, lane, resolve, reject });
      this.dispatch();
    });
  }

  private take(slot: Slot): Pending | undefined {
    if (this.queues.trusted.length) return this.queues.trusted.shift();
    if (this.queues.public.length) return this.queues.public.shift();
    if (slot.index > 0 && this.queues.slow.length) return this.queues.slow.shift();
    return undefined;
  }

  private dispatch() {
    if (this.closed) return;
    for (let i = 0; i < this.size; i++) {
      let slot = this.slots[i];
      const waiting = this.queues.trusted.length + this.queues.public.length + (i > 0 ? this.queues.slow.length : 0);
      if (waiting === 0) continue;
      if (!slot) slot = this.spawn(i);
      if (slot.busy || !slot.ready) continue;
      const pending = this.take(slot)!;
      const id = this.nextId++;
      const budget = pending.lane === 'public' ? this.sliceMs : this.timeoutMs;
      // The worker stops the EVM at its deadline; this only fires if it cannot (grace: 2 s).
      const watchdog = this.watch(slot, id, budget + WATCHDOG_GRACE_MS);
      slot.busy = { id, pending, watchdog };
      slot.worker.postMessage({ type: 'job', id, job: pending.job, deadlineMs: budget } satisfies ToWorker);
    }
  }

  /**
   * Fires when a job is overdue. A worker still asking for state is waiting on us, not stuck
   * (its deadline moves by those waits): look again later. Otherwise replace it.
   */
  private watch(slot: Slot, id: number, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (slot.busy?.id !== id) return;
      if (Date.now() - slot.lastActivity < WATCHDOG_GRACE_MS) slot.busy.watchdog = this.watch(slot, id, WATCHDOG_GRACE_MS);
      else this.replace(slot, new CallTimeoutError(this.timeoutMs));
    }, ms);
    timer.unref();
    return timer;
  }

  async close() {
    this.closed = true;
    for (const q of Object.values(this.queues)) for (const p of q.splice(0)) p.reject(new CallWorkerError('node is shutting down'));
    await Promise.all(this.slots.filter(Boolean).map(async (slot) => {
      if (slot.busy) { clearTimeout(slot.busy.watchdog); slot.busy.pending.reject(new CallWorkerError('node is shutting down')); }
      await slot.worker.terminate();
    }));
  }
}
