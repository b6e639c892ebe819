import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { createPublicClient, createWalletClient, encodeFunctionData, http, parseEther, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { counterContract } from './fixtures.ts';
import { CHAIN_ID, devNode, medchainDev, tag, tempDir } from './helpers.ts';
import { createNode } from '../../src/chain/node.ts';

async function rpc(url: string, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

test('HTTP JSON-RPC: standard error codes, batches, and malformed input never crash the node', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    assert.equal((await rpc(url, '{"jsonrpc":"2.0","id":1,')).json.error.code, -32700);
    assert.equal((await rpc(url, '42')).json.error.code, -32600);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1 })).json.error.code, -32600);
    assert.equal((await rpc(url, { jsonrpc: '1.0', id: 1, method: 'eth_chainId' })).json.error.code, -32600);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_nope' })).json.error.code, -32601);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: ['0x1234', 'latest'] })).json.error.code, -32602);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: 'latest' })).json.error.code, -32602);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0xzz'] })).json.error.code, -32602);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0xdeadbeef'] })).json.error.code, -32000);
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ topics: 'x' }] })).json.error.code, -32602);
    assert.equal((await rpc(url, [])).json.error.code, -32600);
    const batch = await rpc(url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
      7,
      { jsonrpc: '2.0', method: 'eth_blockNumber' }, // notification: no answer
      { jsonrpc: '2.0', id: 'x', method: 'net_version' },
    ]);
    assert.deepEqual(batch.json.map((r: { id: unknown }) => r.id), [1, 2, null, 'x']);
    assert.equal(batch.json[0].result, `0x${CHAIN_ID.toString(16)}`);
    assert.equal(batch.json[1].error.code, -32601);
    assert.equal(batch.json[2].error.code, -32600);
    assert.equal(batch.json[3].result, String(CHAIN_ID));
    assert.equal((await fetch(url)).status, 405);
    assert.equal((await rpc(url, 'x'.repeat(9 * 1024 * 1024))).status, 413);
    // production-only methods are hidden from HTTP: the admin API is not exposed by default
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 1, method: 'perm_getAccountsAllowlist' })).json.error.code, -32601);
    // still alive and answering
    assert.equal((await rpc(url, { jsonrpc: '2.0', id: 9, method: 'web3_clientVersion' })).json.result.startsWith('MedChain/'), true);
  } finally {
    await server.close();
    await close();
  }
});

test('HTTP JSON-RPC method coverage through viem', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const account = privateKeyToAccount(node.devAccounts[0]!);
    const transport = http(server.httpUrl);
    const pub = createPublicClient({ chain: medchainDev, transport, pollingInterval: 10 });
    const wallet = createWalletClient({ chain: medchainDev, account, transport });
    const { abi, bytecode } = counterContract();
    assert.equal(await pub.getChainId(), CHAIN_ID);
    assert.equal(await pub.request({ method: 'net_version' }), String(CHAIN_ID));
    assert.equal(await pub.request({ method: 'eth_syncing' } as never), false);
    assert.equal(await pub.getGasPrice(), 0n);
    assert.equal(await pub.estimateMaxPriorityFeePerGas(), 0n);
    const fees = await pub.getFeeHistory({ blockCount: 4, rewardPercentiles: [50] });
    assert.equal(fees.baseFeePerGas.length, fees.gasUsedRatio.length + 1);
    const deploy = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
    const address = deploy.contractAddress!;
    const data = encodeFunctionData({ abi, functionName: 'set', args: [9n, tag(9)] });
    const gas = await pub.estimateGas({ account, to: address, data });
    assert.ok(gas > 21_000n && gas < 200_000n);
    // a call that needs more gas available than it uses: the estimate is enough, and close to minimal
    const needs = encodeFunctionData({ abi, functionName: 'needsGas' });
    const needed = await pub.estimateGas({ account, to: address, data: needs });
    assert.ok(needed > 300_000n && needed < 340_000n, `estimate ${needed}`);
    const tooLittle = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: address, data: needs, gas: needed - 2_000n, nonce: await pub.getTransactionCount({ address: account.address, blockTag: 'pending' }), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    assert.equal((await pub.waitForTransactionReceipt({ hash: await pub.sendRawTransaction({ serializedTransaction: tooLittle }) })).status, 'reverted');
    const enough = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: address, data: needs, gas: needed, nonce: await pub.getTransactionCount({ address: account.address, blockTag: 'pending' }), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    assert.equal((await pub.waitForTransactionReceipt({ hash: await pub.sendRawTransaction({ serializedTransaction: enough }) })).status, 'success');
    const nonce = await pub.getTransactionCount({ address: account.address, blockTag: 'pending' });
    const raw = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: address, data, gas, nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    const hash = await pub.sendRawTransaction({ serializedTransaction: raw });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.ok(receipt.gasUsed <= gas);
    const tx = await pub.getTransaction({ hash });
    assert.equal(tx.from, account.address.toLowerCase());
    assert.equal(tx.blockNumber, receipt.blockNumber);
    const byNumber = await pub.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
    const byHash = await pub.getBlock({ blockHash: byNumber.hash! });
    assert.equal(byHash.number, receipt.blockNumber);
    assert.equal(byNumber.transactions[0]!.hash, hash);
    assert.equal(await pub.getBlockNumber({ cacheTime: 0 }), receipt.blockNumber);
    assert.equal(await pub.getTransactionCount({ address: account.address }), nonce + 1);
    assert.ok((await pub.getBalance({ address: account.address })) > 0n);
    assert.ok((await pub.getCode({ address }))!.length > 100);
    // storage slot 1 = total (slot 0 is the mapping): 9 from set(), 1 from needsGas()
    assert.equal(BigInt((await pub.getStorageAt({ address, slot: '0x1' }))!), 10n);
    assert.equal(await pub.readContract({ address, abi, functionName: 'total' }), 10n);
    // historical state: before the write, total was 0
    assert.equal(await pub.readContract({ address, abi, functionName: 'total', blockNumber: deploy.blockNumber }), 0n);
    const logs = await pub.getLogs({ address, fromBlock: 0n, toBlock: 'latest' });
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.transactionHash, hash);
    assert.equal((await pub.request({ method: 'eth_getBlockReceipts', params: [`0x${receipt.blockNumber.toString(16)}`] }) as unknown[]).length, 1);
    assert.equal(await pub.getTransactionReceipt({ hash: `0x${'00'.repeat(32)}` }).catch((e: Error) => e.name), 'TransactionReceiptNotFoundError');
  } finally {
    await server.close();
    await close();
  }
});

test('transaction pool rejects bad transactions with the standard errors', async () => {
  const dir = tempDir();
  const funded = generatePrivateKey();
  const outsider = generatePrivateKey();
  const fundedAddr = privateKeyToAccount(funded).address;
  // production mode: allowlist permissioning, 1 s blocks (transactions stay pending for a moment)
  const node = await createNode({
    dataDir: dir.dir, chainId: CHAIN_ID, mode: 'production', authorityKey: generatePrivateKey(), blockPeriodMs: 1500,
    genesisAlloc: { [fundedAddr]: { balance: parseEther('1') }, [privateKeyToAccount(outsider).address]: { balance: parseEther('1') } },
    permissioning: { mode: 'allowlist', accounts: [fundedAddr] },
  });
  try {
    const send = (raw: Hex) => node.request({ method: 'eth_sendRawTransaction', params: [raw] } as never) as Promise<Hex>;
    const errorOf = (p: Promise<unknown>) => p.then(() => assert.fail('expected a rejection'), (e: { code: number; message: string }) => [e.code, e.message] as const);
    const acct = privateKeyToAccount(funded);
    const base = { chainId: CHAIN_ID, type: 'eip1559' as const, to: privateKeyToAccount(outsider).address, gas: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
    const t0 = await acct.signTransaction({ ...base, nonce: 0 });
    const h0 = await send(t0);
    assert.deepEqual(await errorOf(send(t0)), [-32000, 'already known']);
    const t1 = await acct.signTransaction({ ...base, nonce: 1, value: 1n });
    await send(t1);
    assert.equal(await node.request({ method: 'eth_getTransactionCount', params: [acct.address, 'pending'] } as never), '0x2');
    assert.equal(await node.request({ method: 'eth_getTransactionCount', params: [acct.address, 'latest'] } as never), '0x0');
    assert.equal((await node.request({ method: 'eth_getTransactionByHash', params: [h0] } as never) as { blockHash: unknown }).blockHash, null);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 2, value: parseEther('2') }))), [-32000, 'insufficient funds for gas * price + value']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 2, maxFeePerGas: 10n ** 18n, maxPriorityFeePerGas: 1n }))), [-32000, 'insufficient funds for gas * price + value']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 2, chainId: CHAIN_ID + 1 }))), [-32000, 'invalid chain id for signer']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 2, gas: 20_000n }))), [-32000, 'intrinsic gas too low']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 2, gas: 10n ** 9n }))), [-32000, 'exceeds block gas limit']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 1 }))), [-32000, 'replacement transaction underpriced']);
    // permissioning: an account not on the allowlist cannot send; the admin adds it in-process
    const other = privateKeyToAccount(outsider);
    const o0 = await other.signTransaction({ ...base, to: acct.address, nonce: 0 });
    assert.deepEqual(await errorOf(send(o0)), [-32007, 'sender account not authorized to send transactions']);
    await node.request({ method: 'perm_addAccountsToAllowlist', params: [[other.address]] } as never);
    assert.ok((await node.request({ method: 'perm_getAccountsAllowlist' } as never) as string[]).includes(other.address.toLowerCase()));
    await send(o0);
    // dev-only methods do not exist in production
    assert.equal(await errorOf(node.request({ method: 'evm_mine' } as never)).then((e) => e[0]), -32601);
    assert.equal(await errorOf(node.request({ method: 'eth_sendTransaction', params: [{ from: acct.address }] } as never)).then((e) => e[0]), -32601);
    assert.deepEqual(await node.request({ method: 'eth_accounts' } as never), []);
    // the waiting transactions are sealed together within the block period
    let receipt: { blockNumber: Hex } | null = null;
    for (let i = 0; i < 100 && !receipt; i++) {
      receipt = await node.request({ method: 'eth_getTransactionReceipt', params: [h0] } as never) as typeof receipt;
      if (!receipt) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(receipt);
    assert.deepEqual(await errorOf(send(t0)), [-32000, 'already known']);
    assert.deepEqual(await errorOf(send(await acct.signTransaction({ ...base, nonce: 0, value: 5n }))), [-32000, 'nonce too low']);
  } finally {
    await node.close();
    dir.remove();
  }
});

test('WebSocket: eth_subscribe newHeads and logs, eth_unsubscribe', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  const ws = new WebSocket(server.wsUrl);
  try {
    await once(ws, 'open');
    const messages: { id?: number | null; result?: unknown; method?: string; params?: { subscription: string; result: Record<string, unknown> } }[] = [];
    ws.on('message', (m) => { messages.push(JSON.parse(m.toString())); });
    const waitFor = async (pred: (m: (typeof messages)[number]) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const hit = messages.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('timed out waiting for a websocket message');
    };
    const account = privateKeyToAccount(node.devAccounts[0]!);
    const transport = http(server.httpUrl);
    const pub = createPublicClient({ chain: medchainDev, transport, pollingInterval: 10 });
    const wallet = createWalletClient({ chain: medchainDev, account, transport });
    const { abi, bytecode } = counterContract();
    const { contractAddress } = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['logs', { address: contractAddress }] }));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_subscribe', params: ['logs', { address: contractAddress, topics: [null, null, tag(999)] }] }));
    ws.send('not json');
    const heads = (await waitFor((m) => m.id === 1)).result as string;
    const logs = (await waitFor((m) => m.id === 2)).result as string;
    const none = (await waitFor((m) => m.id === 3)).result as string;
    assert.equal((await waitFor((m) => m.id === null) as { error?: { code: number } }).error?.code, -32700);
    const hash = await wallet.writeContract({ address: contractAddress!, abi, functionName: 'set', args: [3n, tag(3)] });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    const head = await waitFor((m) => m.params?.subscription === heads);
    assert.equal(head.params!.result.number, `0x${receipt.blockNumber.toString(16)}`);
    const log = await waitFor((m) => m.params?.subscription === logs);
    assert.equal(log.params!.result.transactionHash, hash);
    assert.equal(messages.some((m) => m.params?.subscription === none), false);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'eth_unsubscribe', params: [heads] }));
    assert.equal((await waitFor((m) => m.id === 4)).result, true);
  } finally {
    ws.close();
    await server.close();
    await close();
  }
});
