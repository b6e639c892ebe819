import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { devNode } from './helpers.ts';

const METHODS = [
  'eth_chainId', 'eth_getBalance', 'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getTransactionByHash',
  'eth_getTransactionReceipt', 'eth_getTransactionCount', 'eth_getCode', 'eth_getStorageAt', 'eth_call',
  'eth_estimateGas', 'eth_feeHistory', 'eth_sendRawTransaction', 'eth_getLogs', 'eth_newFilter',
  'eth_getFilterChanges', 'eth_sendTransaction', 'eth_signTypedData_v4', 'evm_mine', 'evm_increaseTime',
  'evm_setNextBlockTimestamp', 'hardhat_mine', 'eth_subscribe', 'perm_addAccountsToAllowlist', 'nope',
];

test('fuzzed JSON-RPC over HTTP: every request gets a well-formed answer and the node keeps serving', { timeout: 60_000 }, async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const post = async (body: string) => {
      const res = await fetch(server.httpUrl, { method: 'POST', body });
      assert.ok(res.status === 200 || res.status === 413, `status ${res.status}`);
      const text = await res.text();
      return text ? JSON.parse(text) : undefined;
    };
    const param = fc.oneof(fc.anything(), fc.uint8Array({ maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString("hex")}`), fc.constantFrom('latest', 'pending', '0x0', '0x1', null), fc.object());
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), method: fc.constantFrom(...METHODS), params: fc.oneof(fc.array(param, { maxLength: 4 }), param) }).map((r) => JSON.stringify(r)),
        fc.json(),
        fc.string(),
      ),
      async (body) => {
        const answer = await post(body);
        for (const a of Array.isArray(answer) ? answer : answer === undefined ? [] : [answer]) {
          assert.equal(a.jsonrpc, '2.0');
          assert.ok('result' in a || (typeof a.error?.code === 'number' && typeof a.error?.message === 'string'), JSON.stringify(a));
          assert.ok(!a.error || !/\n\s+at /.test(a.error.message), 'no stack traces in answers');
        }
      },
    ), { numRuns: 300 });
    assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')).result, '0x539');
  } finally {
    await server.close();
    await close();
  }
});
