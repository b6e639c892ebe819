import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliqueSigner, createBlockFromRLP } from '@ethereumjs/block';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '@ethereumjs/util';
import { Bloom, encodeReceipt } from '@ethereumjs/vm';
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, parseEther } from 'viem';
import { privateKeyToAccount, privateKeyToAddress, generatePrivateKey } from 'viem/accounts';
import { decodeReceipts } from '../../src/chain/receipts.ts';
import { createNode } from '../../src/chain/node.ts';
import { counterContract } from './fixtures.ts';
import { CHAIN_ID, clients, devNode, tag, tempDir } from './helpers.ts';

test('viem deploys, writes, reads and decodes a custom-error revert on the embedded node', async () => {
  const { node, close } = await devNode();
  try {
    const { pub, wallet, account } = clients(node, node.devAccounts[0]!);
    const { abi, bytecode } = counterContract();
    const deployHash = await wallet.deployContract({ abi, bytecode });
    const deployed = await pub.waitForTransactionReceipt({ hash: deployHash });
    assert.equal(deployed.status, 'success');
    const address = deployed.contractAddress!;
    assert.ok((await pub.getCode({ address }))!.length > 2);

    const hash = await wallet.writeContract({ address, abi, functionName: 'set', args: [42n, tag(7)] });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.logs.length, 1);
    assert.equal(receipt.logs[0]!.address, address);
    assert.equal(await pub.readContract({ address, abi, functionName: 'valueOf', args: [account.address] }), 42n);

    await assert.rejects(pub.simulateContract({ account, address, abi, functionName: 'set', args: [2_000_000n, tag(1)] }), (e: unknown) => {
      const revert = (e as BaseError).walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError;
      assert.equal(revert.data?.errorName, 'TooLarge');
      assert.deepEqual(revert.data?.args, [2_000_000n, 1_000_000n]);
      return true;
    });
    await assert.rejects(pub.readContract({ address, abi, functionName: 'fail', args: ['no grant'] }), /no grant/);
    // estimateGas surfaces the same revert data
    await assert.rejects(pub.estimateContractGas({ account, address, abi, functionName: 'set', args: [2_000_000n, tag(1)] }), /TooLarge/);

    // block.coinbase is the authority (Clique: the block's signer)
    assert.equal((await pub.readContract({ address, abi, functionName: 'coinbase' }) as string).toLowerCase(), node.chain.signer.toString());
  } finally {
    await close();
  }
});

test('blocks are Clique-sealed by the authority key (EIP-225 header format)', async () => {
  const { node, close } = await devNode();
  try {
    const { wallet, pub } = clients(node, node.devAccounts[1]!);
    const hash = await wallet.sendTransaction({ to: privateKeyToAddress(generatePrivateKey()), value: parseEther('1') });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    const block = await pub.getBlock({ blockNumber: receipt.blockNumber });
    assert.equal(block.difficulty, 2n);
    assert.equal((block.extraData.length - 2) / 2, 32 + 65);
    assert.equal(block.baseFeePerGas, 0n);
    const rlp = await node.chain.store.blockRlp(receipt.blockNumber);
    const decoded = createBlockFromRLP(rlp!, { common: node.chain.common });
    assert.equal(cliqueSigner(decoded.header).toString(), node.chain.signer.toString());
    assert.equal(decoded.hash().length, 32);
    const genesis = await pub.getBlock({ blockNumber: 0n });
    // genesis extraData lists the signer between vanity and seal
    assert.equal(`0x${genesis.extraData.slice(2 + 64, 2 + 64 + 40)}`, node.chain.signer.toString());
  } finally {
    await close();
  }
});

test('state, head and receipts survive a restart without replay; the data dir is bound to its chain and key', async () => {
  const dir = tempDir();
  const first = await devNode({}, dir);
  const { pub, wallet } = clients(first.node, first.node.devAccounts[0]!);
  const { abi, bytecode } = counterContract();
  const r = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
  const set = await pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: r.contractAddress!, abi, functionName: 'set', args: [5n, tag(5)] }) });
  const head = await pub.getBlock();
  await first.node.close();

  const again = await createNode({ dataDir: dir.dir, chainId: CHAIN_ID, mode: 'dev' });
  try {
    const c = clients(again, again.devAccounts[0]!);
    const head2 = await c.pub.getBlock();
    assert.equal(head2.hash, head.hash);
    assert.equal(head2.stateRoot, head.stateRoot);
    const receipt = await c.pub.getTransactionReceipt({ hash: set.transactionHash });
    assert.equal(receipt.logs.length, 1);
    assert.equal(await c.pub.readContract({ address: r.contractAddress!, abi, functionName: 'total' }), 5n);
    // the chain continues from the restored head
    const next = await c.pub.waitForTransactionReceipt({ hash: await c.wallet.writeContract({ address: r.contractAddress!, abi, functionName: 'set', args: [6n, tag(6)] }) });
    assert.equal(next.blockNumber, head.number + 1n);
  } finally {
    await again.close();
  }
  await assert.rejects(createNode({ dataDir: dir.dir, chainId: CHAIN_ID + 1, mode: 'dev' }), /holds chain 1337/);
  await assert.rejects(createNode({ dataDir: dir.dir, chainId: CHAIN_ID, mode: 'dev', authorityKey: generatePrivateKey() }), /does not match/);
  await assert.rejects(createNode({ dataDir: dir.dir, chainId: CHAIN_ID, mode: 'production' }), /needs an authority key/);
  dir.remove();
});

test('the authority key can come from an encrypted keystore through an injected decrypt function', async () => {
  const key = generatePrivateKey();
  const dir = tempDir();
  const node = await createNode({
    dataDir: dir.dir, chainId: CHAIN_ID, mode: 'production',
    authorityKey: { keystore: { sealed: 'opaque' }, password: 'pw', decrypt: async (ks, pw) => { assert.deepEqual(ks, { sealed: 'opaque' }); assert.equal(pw, 'pw'); return key; } },
  });
  try {
    assert.deepEqual(await node.request({ method: 'clique_getSigners' } as never), [privateKeyToAddress(key).toLowerCase()]);
  } finally {
    await node.close();
    dir.remove();
  }
});

test('sealed blocks carry the transactions and receipts roots ethereumjs computes for them', async () => {
  const { node, close } = await devNode();
  try {
    const { abi, bytecode } = counterContract();
    const c = clients(node, node.devAccounts[0]!);
    const { contractAddress } = await c.pub.waitForTransactionReceipt({ hash: await c.wallet.deployContract({ abi, bytecode }) });
    const raws = await Promise.all(node.devAccounts.slice(0, 6).map(async (key, i) => {
      const account = privateKeyToAccount(key);
      const nonce = await c.pub.getTransactionCount({ address: account.address });
      return account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: contractAddress!, nonce, gas: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: encodeFunctionData({ abi, functionName: i === 5 ? 'fail' : 'set', args: i === 5 ? ['x'] : [BigInt(i), tag(i)] }) });
    }));
    const hashes = await Promise.all(raws.map((raw) => c.pub.sendRawTransaction({ serializedTransaction: raw })));
    const receipts = await Promise.all(hashes.map((hash) => c.pub.waitForTransactionReceipt({ hash })));
    assert.equal(receipts.filter((r) => r.status === 'reverted').length, 1);
    const numbers = [...new Set(receipts.map((r) => r.blockNumber))];
    let biggest = 0;
    for (const n of numbers) {
      const block = createBlockFromRLP((await node.chain.store.blockRlp(n))!, { common: node.chain.common });
      biggest = Math.max(biggest, block.transactions.length);
      assert.equal(await block.transactionsTrieIsValid(), true);
      const stored = decodeReceipts((await node.chain.store.receiptsRlp(n))!);
      const trie = new MerklePatriciaTrie();
      for (const [i, r] of stored.entries()) {
        const bloom = new Bloom();
        for (const [address, topics] of r.logs) { bloom.add(address); for (const t of topics) bloom.add(t); }
        const encoded = encodeReceipt({ status: r.status, cumulativeBlockGasUsed: r.cumulativeGasUsed, bitvector: bloom.bitvector, logs: r.logs }, block.transactions[i]!.type);
        await trie.put(RLP.encode(i), encoded);
      }
      assert.deepEqual(block.header.receiptTrie, trie.root());
      assert.deepEqual(bytesToHex(block.header.logsBloom), (await c.pub.getBlock({ blockNumber: n })).logsBloom);
    }
    assert.ok(biggest >= 2, 'expected several transactions in one block');
  } finally {
    await close();
  }
});
