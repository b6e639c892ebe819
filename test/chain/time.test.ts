import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterContract } from './fixtures.ts';
import { clients, devNode } from './helpers.ts';

test('dev time control: evm_setNextBlockTimestamp, evm_increaseTime, evm_mine, hardhat_mine; timed edges', async () => {
  const { node, close } = await devNode();
  try {
    const { pub, wallet } = clients(node, node.devAccounts[0]!);
    const req = (method: string, params: unknown[] = []) => node.request({ method, params } as never) as Promise<unknown>;
    const { abi, bytecode } = counterContract();
    const { contractAddress: address } = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
    const latest = async () => (await pub.getBlock({ blockTag: 'latest' }));

    // exact next timestamp, used by the next sealed block (here: a transaction's block)
    const T = (await latest()).timestamp + 3600n;
    await req('evm_setNextBlockTimestamp', [`0x${T.toString(16)}`]);
    const r = await pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: address!, abi, functionName: 'setNotBefore', args: [T + 10n] }) });
    assert.equal((await pub.getBlock({ blockNumber: r.blockNumber })).timestamp, T);
    // edge of a time window: T+9 closed, T+10 open ('latest' calls run in the latest block's context)
    await req('evm_mine', [Number(T + 9n)]);
    assert.equal((await latest()).timestamp, T + 9n);
    assert.equal(await pub.readContract({ address: address!, abi, functionName: 'open' }), false);
    // 'pending' calls see the next block's time
    assert.equal(await pub.readContract({ address: address!, abi, functionName: 'now_', blockTag: 'pending' }) as bigint >= T + 10n, true);
    await req('evm_setNextBlockTimestamp', [Number(T + 10n)]);
    await req('evm_mine');
    assert.equal(await pub.readContract({ address: address!, abi, functionName: 'open' }), true);
    assert.equal(await pub.readContract({ address: address!, abi, functionName: 'now_' }), T + 10n);

    // timestamps never go backwards or repeat
    await assert.rejects(req('evm_setNextBlockTimestamp', [Number(T + 10n)]), (e: { code: number }) => e.code === -32602);
    await assert.rejects(req('evm_mine', [Number(T)]), (e: { code: number }) => e.code === -32602);

    // increaseTime moves the clock forward for later blocks
    const before = (await latest()).timestamp;
    await req('evm_increaseTime', [86_400]);
    await req('evm_mine');
    const after = (await latest()).timestamp;
    assert.ok(after - before >= 86_400n && after - before <= 86_400n + 5n, `moved ${after - before}`);

    // hardhat_mine / anvil_mine: several empty blocks with increasing timestamps
    const n0 = (await latest()).number;
    await req('hardhat_mine', ['0x3']);
    const blocks = await Promise.all([1n, 2n, 3n].map((i) => pub.getBlock({ blockNumber: n0 + i })));
    for (let i = 1; i < blocks.length; i++) assert.ok(blocks[i]!.timestamp > blocks[i - 1]!.timestamp);
    assert.equal((await latest()).number, n0 + 3n);
  } finally {
    await close();
  }
});
