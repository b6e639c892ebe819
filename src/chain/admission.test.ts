/**
 * Transaction admission (admission.ts), over real HTTP JSON-RPC to a dev node: refused
 * transactions get geth's messages and change nothing — no pool entry, no block, no nonce moved.
 * (The pool's two classes and their bounds are in test/chain/pool.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { toHex, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { CHAIN_ID, devNode, rpc, signed, sink } from '../../test/chain/helpers.ts';

test('admission refuses nonce too high, over-cap gas, oversized data and tip above fee cap with geth messages', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const key = node.devAccounts[2]!;
    const refused = async (raw: Hex) => (await rpc(url, 'eth_sendRawTransaction', [raw])).error;
    assert.deepEqual(await refused(await signed(key, 1001)), { code: -32000, message: 'nonce too high' });
    assert.deepEqual(await refused(await signed(key, 0, { gas: 16_777_217n })), { code: -32000, message: 'transaction gas limit too high (cap: 16777216, tx: 16777217)' });
    const big = await signed(key, 0, { data: toHex(new Uint8Array(128 * 1024)) });
    assert.match((await refused(big))!.message, /^oversized data: transaction size \d+, limit 131072$/);
    // viem and ethereumjs refuse to build such a transaction, so it is assembled by hand (EIP-1559 RLP).
    // [chainId, nonce, maxPriorityFeePerGas 2, maxFeePerGas 1, gas, to, value, data, accessList, yParity, r, s]
    const raw = `0x02${Buffer.from(RLP.encode([CHAIN_ID, 0, 2, 1, 21_000, sink, 0, '0x', [], 0, 1, 1])).toString('hex')}` as Hex;
    assert.deepEqual(await refused(raw), { code: -32000, message: 'max priority fee per gas higher than max fee per gas' });
    assert.equal(node.chain.pool.size, 0);
    assert.equal((await rpc(url, 'eth_blockNumber')).result, '0x0');
    assert.equal((await rpc(url, 'eth_getTransactionCount', [privateKeyToAddress(key), 'pending'])).result, '0x0');
  } finally {
    await server.close();
    await close();
  }
});

test('a full pool refuses the next transaction, executable or not, and changes nothing; sealing makes room', async () => {
  // A small pool, and a block period long enough that nothing is sealed until evm_mine.
  const POOL = 4;
  const { node, close } = await devNode({ maxPoolSize: POOL, blockPeriodMs: 600_000 });
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const [a, b] = [node.devAccounts[0]!, node.devAccounts[1]!];
    for (let n = 0; n < POOL; n++) assert.equal((await rpc(url, 'eth_sendRawTransaction', [await signed(a, n)])).error, undefined);
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: toHex(POOL), queued: '0x0' });

    const next = await signed(b, 0);
    assert.deepEqual((await rpc(url, 'eth_sendRawTransaction', [next])).error, { code: -32000, message: 'txpool is full' });
    assert.deepEqual((await rpc(url, 'eth_sendRawTransaction', [await signed(a, POOL)])).error, { code: -32000, message: 'txpool is full' }, 'the sender\'s next nonce too');
    assert.deepEqual((await rpc(url, 'eth_sendRawTransaction', [await signed(b, 7)])).error, { code: -32000, message: 'txpool is full' }, 'a gapped one too');
    assert.equal(node.chain.pool.size, POOL);
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: toHex(POOL), queued: '0x0' });
    assert.equal((await rpc(url, 'eth_getTransactionCount', [privateKeyToAddress(b), 'pending'])).result, '0x0');
    assert.equal((await rpc(url, 'eth_blockNumber')).result, '0x0');

    // Once a block takes the pooled transactions, the refused one is admitted.
    await rpc(url, 'evm_mine');
    assert.equal(node.chain.pool.size, 0);
    assert.equal((await rpc(url, 'eth_getTransactionCount', [privateKeyToAddress(a), 'latest'])).result, toHex(POOL));
    assert.match(String((await rpc(url, 'eth_sendRawTransaction', [next])).result), /^0x[0-9a-f]{64}$/);
  } finally {
    await server.close();
    await close();
  }
});
