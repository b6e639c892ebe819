import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFunctionData, toEventSelector, type Hex, type Log } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { counterContract } from './fixtures.ts';
import { clients, devNode, tag } from './helpers.ts';

type RpcLog = { address: Hex; topics: Hex[]; blockNumber: Hex; logIndex: Hex; transactionHash: Hex; transactionIndex: Hex };

test('eth_getLogs (indexed by address and topic) agrees with a brute-force scan for random filters; polling filters', async () => {
  const { node, close } = await devNode();
  try {
    const { abi, bytecode } = counterContract();
    const c0 = clients(node, node.devAccounts[0]!);
    const addresses: Hex[] = [];
    for (let i = 0; i < 2; i++) addresses.push((await c0.pub.waitForTransactionReceipt({ hash: await c0.wallet.deployContract({ abi, bytecode }) })).contractAddress!);
    const logFilter = await node.request({ method: 'eth_newFilter', params: [{ address: addresses[0] }] } as never) as Hex;
    const blockFilter = await node.request({ method: 'eth_newBlockFilter' } as never) as Hex;
    // 3 senders x 2 contracts x several values, several transactions per block
    const senders = node.devAccounts.slice(0, 3);
    for (let round = 0; round < 4; round++) {
      const hashes: Hex[] = [];
      for (const [i, key] of senders.entries()) {
        const account = privateKeyToAccount(key);
        const nonce = Number(await node.request({ method: 'eth_getTransactionCount', params: [account.address, 'pending'] } as never));
        for (let k = 0; k < 2; k++) {
          const data = encodeFunctionData({ abi, functionName: 'set', args: [BigInt((round + i + k) % 3), tag(round)] });
          const raw = await account.signTransaction({ chainId: 1337, type: 'eip1559', to: addresses[(i + k) % 2]!, data, nonce: nonce + k, gas: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
          hashes.push(await node.request({ method: 'eth_sendRawTransaction', params: [raw] } as never) as Hex);
        }
      }
      for (const hash of hashes) await c0.pub.waitForTransactionReceipt({ hash });
    }
    const head = Number(await node.request({ method: 'eth_blockNumber' } as never));
    const all = await node.request({ method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest' }] } as never) as RpcLog[];
    assert.equal(all.length, 4 * 3 * 2);
    // logIndex is block-wide and increasing
    for (const [i, l] of all.entries()) {
      const prev = all[i - 1];
      if (prev && prev.blockNumber === l.blockNumber) assert.equal(Number(l.logIndex), Number(prev.logIndex) + 1);
    }
    const selector = toEventSelector('Set(address,uint256,bytes32)');
    const whoTopics = senders.map((k) => `0x${privateKeyToAccount(k).address.slice(2).toLowerCase().padStart(64, '0')}` as Hex);
    const valueTopics = [0, 1, 2, 7].map((v) => tag(v));
    const topicChoice = (options: Hex[]) => fc.option(fc.subarray(options, { minLength: 1 }), { nil: null });
    let nonEmpty = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({
        address: fc.option(fc.subarray(addresses, { minLength: 1 }), { nil: undefined }),
        t0: topicChoice([selector, tag(1)]), t1: topicChoice(whoTopics), t2: topicChoice(valueTopics),
        from: fc.integer({ min: 0, max: head }), span: fc.integer({ min: 0, max: head }),
      }),
      async ({ address, t0, t1, t2, from, span }) => {
        const to = Math.min(head, from + span);
        const topics = [t0, t1, t2];
        const got = await node.request({ method: 'eth_getLogs', params: [{ address, topics, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }] } as never) as RpcLog[];
        const want = all.filter((l) => Number(l.blockNumber) >= from && Number(l.blockNumber) <= to
          && (!address || address.some((a) => a.toLowerCase() === l.address))
          && topics.every((t, i) => !t || t.includes(l.topics[i]!)));
        assert.deepEqual(got.map((l) => `${l.transactionHash}:${l.logIndex}`), want.map((l) => `${l.transactionHash}:${l.logIndex}`));
        if (want.length) nonEmpty++;
      },
    ), { numRuns: 60 });
    assert.ok(nonEmpty >= 10, `only ${nonEmpty} filters matched anything`);
    // blockHash form
    const one = all[all.length - 1]!;
    const block = await node.request({ method: 'eth_getBlockByNumber', params: [one.blockNumber, false] } as never) as { hash: Hex };
    const byHash = await node.request({ method: 'eth_getLogs', params: [{ blockHash: block.hash }] } as never) as Log[];
    assert.equal(byHash.length, all.filter((l) => l.blockNumber === one.blockNumber).length);
    // polling filters see what happened since they were installed
    const changes = await node.request({ method: 'eth_getFilterChanges', params: [logFilter] } as never) as RpcLog[];
    assert.deepEqual(changes.map((l) => l.transactionHash), all.filter((l) => l.address === addresses[0]!.toLowerCase()).map((l) => l.transactionHash));
    assert.deepEqual(await node.request({ method: 'eth_getFilterChanges', params: [logFilter] } as never), []);
    assert.equal((await node.request({ method: 'eth_getFilterChanges', params: [blockFilter] } as never) as Hex[]).length, head - 2);
    assert.equal(await node.request({ method: 'eth_uninstallFilter', params: [logFilter] } as never), true);
    await assert.rejects(node.request({ method: 'eth_getFilterChanges', params: [logFilter] } as never), /filter not found/);
  } finally {
    await close();
  }
});
