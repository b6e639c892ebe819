/**
 * A call worker: runs eth_call / eth_estimateGas off the node's (and, in `medchain start`, the
 * gateway's) event loop, so an unauthenticated infinite loop cannot stall /healthz, sealing or
 * consent checks. Started by `callPool.ts`.
 *
 * State is read through the main thread: the worker's state trie has a database whose `get`
 * asks the main thread for a node by key (`FromWorker` 'node'), which answers from the node's
 * LevelDB. Trie nodes and code are content-addressed and never change, so the worker caches
 * them freely; the LevelDB stays opened by one thread only (LevelDB's lock allows no more).
 *
 * Time budget: geth interrupts the EVM when an eth_call's timeout passes; ethereumjs has no such
 * hook, so the worker wraps the handlers of JUMPDEST (every loop's back edge lands on one) and
 * of the CALL/CREATE family (recursion) with a deadline check that throws a non-EVM error,
 * which ethereumjs propagates out of the whole call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createBlockFromBytesArray, type Block } from '@ethereumjs/block';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { Caches } from '@ethereumjs/statemanager';
import { createTx } from '@ethereumjs/tx';
import { Address, bytesToHex, createAddressFromString, equalsBytes, hexToBytes, type DB } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import type { Hex } from './types.ts';
import { searchGas, type CallJob, type CallOutcome, type ExecOutcome, type FromWorker, type ToWorker } from './callJob.ts';
import { createChainCommon } from './config.ts';
import { CachedMerkleStateManager } from './stateManager.ts';

type Bytes = Uint8Array;
const port = parentPort!;
const { chainId, signer } = workerData as { chainId: number; signer: Hex };
const common = createChainCommon(chainId);
const signerAddress = createAddressFromString(signer);
const ZERO = new Address(new Uint8Array(20));
const EMPTY_TRIE_ROOT = '56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

let nextRid = 0;
const waiting = new Map<number, (v: Hex | null) => void>();
function ask(message: { type: 'node'; key: string } | { type: 'blockHash'; number: string }): Promise<Hex | null> {
  const rid = nextRid++;
  return new Promise((resolve) => {
    waiting.set(rid, resolve);
    port.postMessage({ ...message, rid } satisfies FromWorker);
  });
}

const NODE_CACHE_SIZE = 100_000;
const nodes = new Map<string, Bytes>();
const remoteDb: DB<string, string | Bytes> = {
  async get(k: string) {
    if (k === EMPTY_TRIE_ROOT) return undefined;
    const hit = nodes.get(k);
    if (hit) return hit;
    // The time budget counts execution, not waiting for the main thread (busy sealing, or the
    // machine loaded): the deadline moves by the time this read waited.
    const asked = Date.now();
    const v = await ask({ type: 'node', key: k });
    deadline += Date.now() - asked;
    if (v === null) return undefined;
    const bytes = hexToBytes(v);
    if (nodes.size >= NODE_CACHE_SIZE) nodes.delete(nodes.keys().next().value!);
    nodes.set(k, bytes);
    return bytes;
  },
  // Calls never commit; the state manager's writes stay in its caches and journal.
  async put() {}, async del() {}, async batch() {},
  shallowCopy() { return remoteDb; },
  async open() {},
};

/** Set per job; the wrapped opcode handlers compare against it. */
let deadline = Infinity;
class CallTimeout extends Error {}

async function newVm(): Promise<VM> {
  const trie = new MerklePatriciaTrie({ db: remoteDb, useKeyHashing: true, valueEncoding: 'view', common });
  const stateManager = new CachedMerkleStateManager({ trie, common, caches: new Caches() });
  const blockchain = {
    async getBlock(n: number) {
      const asked = Date.now();
      const hash = await ask({ type: 'blockHash', number: String(n) });
      deadline += Date.now() - asked;
      return { hash: () => (hash ? hexToBytes(hash) : new Uint8Array(32)) };
    },
    async putBlock() {},
    shallowCopy() { return blockchain; },
  };
  const vm = await createVM({ common, stateManager, blockchain: blockchain as never, evmOpts: { cliqueSigner: () => signerAddress } });
  const map = (vm.evm as unknown as { _opcodeMap: Record<number, { opHandler: (...a: unknown[]) => unknown } | undefined> })._opcodeMap;
  // JUMPDEST; CREATE, CALL, CALLCODE, DELEGATECALL, CREATE2, STATICCALL.
  for (const op of [0x5b, 0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa]) {
    const entry = map[op];
    if (!entry) continue;
    const inner = entry.opHandler;
    map[op] = { ...entry, opHandler: (...args: unknown[]) => {
      if (Date.now() > deadline) throw new CallTimeout('execution aborted (timeout)');
      return inner(...args);
    } };
  }
  return vm;
}

let vm = await newVm();
let root: Bytes | undefined;

async function execute(job: CallJob, context: Block, executionGas: bigint): Promise<ExecOutcome> {
  await vm.evm.journal.checkpoint();
  try {
    const from = job.from ? createAddressFromString(job.from) : ZERO;
    const { execResult } = await vm.evm.runCall({
      block: context, caller: from, origin: from, to: job.to ? createAddressFromString(job.to) : undefined,
      data: job.data ? hexToBytes(job.data) : new Uint8Array(), value: job.value ? BigInt(job.value) : 0n,
      gasLimit: executionGas, gasPrice: 0n, skipBalance: true,
    });
    const exception = execResult.exceptionError?.error;
    return { ok: !exception, exception, executionGasUsed: execResult.executionGasUsed, returnValue: execResult.returnValue };
  } finally {
    await vm.evm.journal.revert();
    vm.evm.journal.cleanup();
  }
}

function intrinsicGas(job: CallJob): bigint {
  return createTx({
    to: job.to, data: job.data, value: job.value ? BigInt(job.value) : 0n, gasLimit: 0n, type: 2, maxFeePerGas: 0n,
  }, { common }).getIntrinsicGas();
}

async function run(job: CallJob): Promise<CallOutcome> {
  const stateRoot = hexToBytes(job.stateRoot);
  if (!root || !equalsBytes(root, stateRoot)) {
    await vm.stateManager.setStateRoot(stateRoot);
    root = stateRoot;
  }
  const headerFields = RLP.decode(hexToBytes(job.header)) as unknown as Bytes[];
  const context = createBlockFromBytesArray([headerFields, [], [], []] as never, { common });
  const gas = BigInt(job.gas);
  if (job.kind === 'call') {
    const r = await execute(job, context, gas);
    return { kind: 'call', returnValue: bytesToHex(r.returnValue) as Hex, gasUsed: `0x${r.executionGasUsed.toString(16)}`, exception: r.exception };
  }
  const intrinsic = intrinsicGas(job);
  if (intrinsic > gas) return { kind: 'estimate-failed', cap: job.gas, returnValue: '0x', exception: 'intrinsic gas too low' };
  const found = await searchGas(intrinsic, gas, (g) => execute(job, context, g));
  if ('gas' in found) return { kind: 'estimate', gas: `0x${found.gas.toString(16)}` };
  return { kind: 'estimate-failed', cap: job.gas, returnValue: bytesToHex(found.failed.returnValue) as Hex, exception: found.failed.exception! };
}

port.on('message', async (message: ToWorker) => {
  if (message.type === 'answer') {
    const resolve = waiting.get(message.rid);
    waiting.delete(message.rid);
    resolve?.(message.value);
    return;
  }
  deadline = Date.now() + message.deadlineMs;
  try {
    const outcome = await run(message.job);
    port.postMessage({ type: 'result', id: message.id, outcome } satisfies FromWorker);
  } catch (e) {
    if (e instanceof CallTimeout) {
      // The interrupted call left the journal mid-frame: start from a fresh VM.
      vm = await newVm();
      root = undefined;
      port.postMessage({ type: 'result', id: message.id, outcome: { kind: 'timeout' } } satisfies FromWorker);
    } else {
      port.postMessage({ type: 'failed', id: message.id, message: (e as Error).message?.split('\n')[0]?.slice(0, 200) ?? 'unknown' } satisfies FromWorker);
    }
  } finally {
    deadline = Infinity;
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
