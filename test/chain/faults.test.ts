import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { CHAIN_ID, devNode } from './helpers.ts';

test('a block whose commit fails is not acknowledged; the node keeps answering and retries with backoff', async () => {
  const { node, dir } = await devNode();
  const errors: Error[] = [];
  node.chain.on('error', (e: Error) => errors.push(e));
  const account = privateKeyToAccount(node.devAccounts[0]!);
  const send = async (nonce: number) => node.request({
    method: 'eth_sendRawTransaction',
    params: [await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: account.address, nonce, gas: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n })],
  } as never) as Promise<`0x${string}`>;
  const receipt = (hash: string) => node.request({ method: 'eth_getTransactionReceipt', params: [hash] } as never);
  try {
    const first = await send(0);
    for (let i = 0; i < 100 && !(await receipt(first)); i++) await new Promise((r) => setTimeout(r, 10));
    const head = await node.request({ method: 'eth_blockNumber' } as never);
    // The disk goes away under the node (the account is cached, so admission still succeeds).
    await node.chain.store.db.close();
    const second = await send(1);
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(errors.length >= 1, 'the failed commit is reported');
    assert.ok(errors.length <= 5, `retries back off (${errors.length} attempts in 1.2 s)`);
    assert.equal(await node.request({ method: 'eth_blockNumber' } as never), head);
    assert.ok(node.chain.pool.byHash.has(second), 'the transaction waits in the pool, unacknowledged');
    await assert.rejects(receipt(second) as Promise<unknown>); // no receipt is answered without the store
    assert.equal(node.chain.head.header.number, BigInt(head as string));
  } finally {
    await node.close().catch(() => {});
    dir.remove();
  }
});
