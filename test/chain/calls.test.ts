/**
 * eth_call / eth_estimateGas limits, performed for real over HTTP: an infinite loop is stopped
 * at the execution timeout with geth's error, the RPC gas cap bounds what a call gets, and while
 * loops run in the call workers the node's event loop, in-process (trusted) calls and ordinary
 * public calls keep answering; the node is unchanged and still works afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devNode } from './helpers.ts';

async function rpc(url: string, method: string, params: unknown[] = []) {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const json = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
  return { ...json, ms: performance.now() - started, at: performance.now() };
}

/** JUMPDEST PUSH1 0 JUMP: loops until the gas or the time runs out. */
const LOOP = '0x5b600056';
/** GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns the gas it was given (less 2). */
const GAS_LEFT = '0x5a60005260206000f3';

test('an eth_call loop is aborted at the timeout while the node, trusted and ordinary calls keep answering', async () => {
  const { node, close } = await devNode({ callTimeoutMs: 1_000 });
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const head = (await rpc(url, 'eth_blockNumber')).result;
    const loops = Array.from({ length: 4 }, () => rpc(url, 'eth_call', [{ data: LOOP }]));
    await new Promise((r) => setTimeout(r, 300)); // the loops have reached the workers
    const [block, ordinary, trustedAt] = await Promise.all([
      rpc(url, 'eth_blockNumber'),
      rpc(url, 'eth_call', [{ data: GAS_LEFT, gas: '0x186a0' }]),
      node.request({ method: 'eth_call', params: [{ data: GAS_LEFT, gas: '0x186a0' }] } as never).then((r) => ({ r, at: performance.now() })),
    ]);
    const done = await Promise.all(loops);
    for (const loop of done) assert.deepEqual(loop.error, { code: -32000, message: 'execution aborted (timeout = 1s)' });
    const firstLoopDone = Math.min(...done.map((l) => l.at));
    assert.equal(block.result, head);
    assert.ok(block.at < firstLoopDone, 'eth_blockNumber answered while the loops ran');
    assert.equal(BigInt(ordinary.result as string), 100_000n - 2n, 'an ordinary public call got its answer');
    assert.ok(ordinary.at < Math.max(...done.map((l) => l.at)), 'before the slow loops were through');
    assert.equal(BigInt(trustedAt.r as string), 100_000n - 2n);
    assert.ok(trustedAt.at < firstLoopDone, 'the in-process call did not wait for a loop');
    console.log(`latency under 4 looping calls: eth_blockNumber ${block.ms.toFixed(0)} ms, public eth_call ${ordinary.ms.toFixed(0)} ms; loops answered after ${done.map((l) => l.ms.toFixed(0)).join(', ')} ms`);

    // estimateGas of a loop fails too (time or gas), with a -32000 error, and nothing changed.
    const estimate = await rpc(url, 'eth_estimateGas', [{ data: LOOP }]);
    assert.equal(estimate.error?.code, -32000);
    assert.match(estimate.error!.message, /^(execution aborted \(timeout = 1s\)|gas required exceeds allowance \(16777216\) or always failing transaction: out of gas)$/);
    assert.equal((await rpc(url, 'eth_blockNumber')).result, head);
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: '0x0', queued: '0x0' });
    // The workers recovered: calls still work.
    assert.equal(BigInt((await rpc(url, 'eth_call', [{ data: GAS_LEFT, gas: '0x186a0' }])).result as string), 100_000n - 2n);
  } finally {
    await server.close();
    await close();
  }
});

test('eth_call gets at most the RPC gas cap (50M), eth_estimateGas at most the per-transaction cap', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    // Asking for 10^12 gas: capped, like geth's --rpc.gascap. (eth_call charges no intrinsic gas here.)
    const capped = await rpc(url, 'eth_call', [{ data: GAS_LEFT, gas: '0xe8d4a51000' }]);
    assert.equal(BigInt(capped.result as string), 50_000_000n - 2n);
    const defaulted = await rpc(url, 'eth_call', [{ data: GAS_LEFT }]);
    assert.equal(BigInt(defaulted.result as string), 50_000_000n - 2n);
    // A contract creation that needs more than 2^24 gas cannot be estimated (it could never be sent).
    const runaway = await rpc(url, 'eth_estimateGas', [{ data: '0x5b600056' }]); // JUMPDEST PUSH1 0 JUMP: never stops
    assert.equal(runaway.error?.code, -32000);
    assert.match(runaway.error!.message, /gas required exceeds allowance \(16777216\)|execution aborted/);
  } finally {
    await server.close();
    await close();
  }
});
