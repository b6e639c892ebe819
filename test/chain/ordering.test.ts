/**
 * Consent transactions are never starved: on a production node (one-second blocks) with blocks
 * filled by gas-burning transactions sent first, a transaction to a priority target (the Consent
 * contract in `medchain start`) is sealed first, in the next block; each block's execution time
 * is bounded, so the burners spread over several blocks instead of holding one for long.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from 'viem/accounts';
import type { Hex } from 'viem';
import { createNode } from '../../src/chain/node.ts';
import { CHAIN_ID, tempDir } from './helpers.ts';

async function rpc(url: string, method: string, params: unknown[] = []) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

test('a consent transaction is sealed first, in the next block, behind a queue of gas burners', async () => {
  const dir = tempDir();
  const consent = privateKeyToAddress(generatePrivateKey()).toLowerCase() as Hex;
  const node = await createNode({
    dataDir: dir.dir, chainId: CHAIN_ID, mode: 'production', authorityKey: generatePrivateKey(), permissioning: { mode: 'open' },
    priorityTargets: [consent], blockTimeBudgetMs: 100,
  });
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const burner = privateKeyToAccount(generatePrivateKey());
    const patient = privateKeyToAccount(generatePrivateKey());
    // Contract creations that loop until their 2M gas run out (status 0, but they are sealed).
    const burns = await Promise.all(Array.from({ length: 6 }, (_, nonce) => burner.signTransaction({
      chainId: CHAIN_ID, type: 'eip1559', nonce, gas: 2_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: '0x5b600056',
    })));
    const burnHashes: string[] = [];
    for (const raw of burns) burnHashes.push((await rpc(url, 'eth_sendRawTransaction', [raw])).result as string);
    const revoke = await patient.signTransaction({
      chainId: CHAIN_ID, type: 'eip1559', nonce: 0, gas: 50_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: consent, data: '0x20c5429b',
    });
    const submittedAt = BigInt((await rpc(url, 'eth_blockNumber')).result as string);
    const revokeHash = (await rpc(url, 'eth_sendRawTransaction', [revoke])).result as string;
    const receipt = async (h: string) => (await rpc(url, 'eth_getTransactionReceipt', [h])).result as { blockNumber: string; transactionIndex: string } | null;
    let mined = await receipt(revokeHash);
    for (let i = 0; i < 200 && !mined; i++) { await new Promise((r) => setTimeout(r, 50)); mined = await receipt(revokeHash); }
    assert.ok(mined, 'the consent transaction was mined');
    assert.equal(mined.transactionIndex, '0x0', 'first in its block');
    assert.ok(BigInt(mined.blockNumber) <= submittedAt + 2n, `mined in block ${BigInt(mined.blockNumber)}, submitted at head ${submittedAt}`);
    // Every burner is sealed eventually, in more than one block (the time budget splits them).
    const blocks = new Set<string>();
    for (const h of burnHashes) {
      let r = await receipt(h);
      for (let i = 0; i < 400 && !r; i++) { await new Promise((res) => setTimeout(res, 50)); r = await receipt(h); }
      assert.ok(r, 'burner sealed');
      blocks.add(r.blockNumber);
    }
    assert.ok(blocks.size > 1, `the burners took ${blocks.size} blocks`);
    assert.deepEqual((await rpc(url, 'txpool_status')).result, { pending: '0x0', queued: '0x0' });
  } finally {
    await server.close();
    await node.close();
    dir.remove();
  }
});
