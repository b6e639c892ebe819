/**
 * The pool's two classes (pending / queued), over real HTTP JSON-RPC: a nonce gap never makes
 * the node seal, gapped transactions are bounded per sender and overall and expire, and none of
 * the refused ones changes anything. Admission's own refusals (nonce too high, over-cap gas,
 * oversized data, tip above fee cap, a full pool) are tested beside it, src/chain/admission.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { MAX_QUEUED, MAX_QUEUED_PER_SENDER } from '../../src/chain/txPool.ts';
import { devNode, rpc, signed } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a nonce gap queues the transaction and seals no blocks; filling the gap mines both', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const key = node.devAccounts[0]!;
    const head = (await rpc(url, 'eth_blockNumber')).result;
    const gapped = await rpc(url, 'eth_sendRawTransaction', [await signed(key, 1)]);
    assert.match(String(gapped.result), /^0x[0-9a-f]{64}$/);
    // Dev mode seals as soon as anything is executable: before the fix this made ~900 empty blocks in 2 s.
    await sleep(1500);
    assert.equal((await rpc(url, 'eth_blockNumber')).result, head, 'no block while nothing is executable');
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: '0x0', queued: '0x1' });
    assert.equal((await rpc(url, 'eth_getTransactionCount', [privateKeyToAddress(key), 'pending'])).result, '0x0', 'the pending nonce does not jump the gap');
    assert.equal((await rpc(url, 'eth_getTransactionByHash', [gapped.result])).result !== null, true, 'the queued transaction is known');

    await rpc(url, 'eth_sendRawTransaction', [await signed(key, 0)]);
    for (let i = 0; i < 100 && (await rpc(url, 'eth_getTransactionReceipt', [gapped.result])).result === null; i++) await sleep(20);
    const receipt = (await rpc(url, 'eth_getTransactionReceipt', [gapped.result])).result as { status: string } | null;
    assert.equal(receipt?.status, '0x1');
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: '0x0', queued: '0x0' });
    const blocks = Number((await rpc(url, 'eth_blockNumber')).result) - Number(head);
    assert.ok(blocks >= 1 && blocks <= 2, `the two transactions took ${blocks} blocks`);
  } finally {
    await server.close();
    await close();
  }
});

test('queued transactions are bounded per sender and overall, and refused ones change nothing', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const key = generatePrivateKey(); // 0-fee transactions need no balance
    for (let n = 1; n <= MAX_QUEUED_PER_SENDER; n++) {
      assert.equal((await rpc(url, 'eth_sendRawTransaction', [await signed(key, n)])).error, undefined);
    }
    const over = await rpc(url, 'eth_sendRawTransaction', [await signed(key, MAX_QUEUED_PER_SENDER + 1)]);
    assert.equal(over.error?.code, -32000);
    assert.match(over.error!.message, /^account limit exceeded: 64 transactions of this sender already wait for nonce 0$/);
    assert.equal(node.chain.pool.queuedCount, MAX_QUEUED_PER_SENDER);

    // Fill the global queue from other senders: the next gapped transaction is refused.
    const senders = Math.ceil(MAX_QUEUED / MAX_QUEUED_PER_SENDER);
    for (let s = 1; node.chain.pool.queuedCount < MAX_QUEUED && s < senders + 1; s++) {
      const k = generatePrivateKey();
      const raws: Hex[] = await Promise.all(Array.from({ length: Math.min(MAX_QUEUED_PER_SENDER, MAX_QUEUED - node.chain.pool.queuedCount) }, (_, i) => signed(k, i + 1)));
      for (const raw of raws) assert.equal((await rpc(url, 'eth_sendRawTransaction', [raw])).error, undefined);
    }
    assert.equal(node.chain.pool.queuedCount, MAX_QUEUED);
    const head = (await rpc(url, 'eth_blockNumber')).result;
    const full = await rpc(url, 'eth_sendRawTransaction', [await signed(generatePrivateKey(), 5)]);
    assert.deepEqual(full.error, { code: -32000, message: 'txpool is full' });
    assert.equal(node.chain.pool.size, MAX_QUEUED);
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: '0x0', queued: toHex(MAX_QUEUED) });
    // Executable transactions are still admitted and mined while the queue is full.
    const ok = await rpc(url, 'eth_sendRawTransaction', [await signed(node.devAccounts[1]!, 0)]);
    for (let i = 0; i < 100 && (await rpc(url, 'eth_getTransactionReceipt', [ok.result])).result === null; i++) await sleep(20);
    assert.notEqual((await rpc(url, 'eth_getTransactionReceipt', [ok.result])).result, null);
    assert.equal(Number((await rpc(url, 'eth_blockNumber')).result), Number(head) + 1, 'one block, for the executable transaction only');
  } finally {
    await server.close();
    await close();
  }
});

test('queued transactions expire after the queue lifetime', async () => {
  const { node, close } = await devNode({ queueLifetimeMs: 200 });
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const hash = (await rpc(url, 'eth_sendRawTransaction', [await signed(node.devAccounts[0]!, 3)])).result;
    assert.equal(node.chain.pool.queuedCount, 1);
    for (let i = 0; i < 50 && node.chain.pool.size > 0; i++) await sleep(100);
    assert.equal(node.chain.pool.size, 0, 'expired');
    assert.equal((await rpc(url, 'eth_getTransactionByHash', [hash])).result, null);
    assert.equal((await rpc(url, 'eth_blockNumber')).result, '0x0');
  } finally {
    await server.close();
    await close();
  }
});
