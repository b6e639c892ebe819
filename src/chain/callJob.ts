/**
 * The messages between the node and its call workers (`callWorker.ts`, `callPool.ts`), and the
 * gas estimation search both sides agree on. Everything crossing the thread boundary is plain
 * data (hex strings), so jobs and answers survive structured cloning unchanged.
 */
import type { Hex } from './types.ts';

/** One eth_call or eth_estimateGas, with the state root and header of the block it runs in. */
export interface CallJob {
  kind: 'call' | 'estimate';
  stateRoot: Hex;
  /** RLP of the context block's header fields. */
  header: Hex;
  from?: Hex; to?: Hex; data?: Hex; value?: Hex;
  /** eth_call: the gas the call gets. eth_estimateGas: the upper bound of the search. */
  gas: Hex;
}

export type CallOutcome =
  | { kind: 'call'; returnValue: Hex; gasUsed: Hex; exception?: string }
  | { kind: 'estimate'; gas: Hex }
  | { kind: 'estimate-failed'; cap: Hex; returnValue: Hex; exception: string }
  /** The job hit its time budget (the worker stopped the EVM). */
  | { kind: 'timeout' };

/** Main thread -> worker. */
export type ToWorker =
  | { type: 'job'; id: number; job: CallJob; deadlineMs: number }
  | { type: 'answer'; rid: number; value: Hex | null };

/** Worker -> main thread: a trie node / code by key, or a block hash (BLOCKHASH), or a result. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'node'; rid: number; key: string }
  | { type: 'blockHash'; rid: number; number: string }
  | { type: 'result'; id: number; outcome: CallOutcome }
  | { type: 'failed'; id: number; message: string };

export interface ExecOutcome { ok: boolean; exception?: string; executionGasUsed: bigint; returnValue: Uint8Array }

/**
 * eth_estimateGas as geth does it: run once with the cap; the gas used is a lower bound, but the
 * 63/64 rule (EIP-150) can require more gas to be available than is used, so search upwards
 * between the two (to 0.1 % precision).
 */
export async function searchGas(intrinsic: bigint, cap: bigint, run: (executionGas: bigint) => Promise<ExecOutcome>): Promise<{ gas: bigint } | { failed: ExecOutcome }> {
  const first = await run(cap - intrinsic);
  if (!first.ok) return { failed: first };
  let lo = intrinsic + first.executionGasUsed;
  const ok = async (g: bigint) => (await run(g - intrinsic)).ok;
  if (await ok(lo)) return { gas: lo };
  let hi = cap;
  while (hi - lo > 1n + lo / 1000n) {
    const mid = (lo + hi) / 2n;
    if (await ok(mid)) hi = mid; else lo = mid;
  }
  return { gas: hi };
}
