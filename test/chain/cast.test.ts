/**
 * Foundry's `cast` (a real, independent client: Rust, alloy) against the node over HTTP, as
 * outside reviewers run it: block-number, chain-id, send of a raw transaction (`cast publish`),
 * receipt, call, logs, block, and a transaction `cast send` signs and prices itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { encodeFunctionData, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { counterContract } from './fixtures.ts';
import { CHAIN_ID, devNode, tag } from './helpers.ts';

const CAST = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'cast');

function cast(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CAST, args, { timeout: 60_000, env: { ...process.env, FOUNDRY_DISABLE_NIGHTLY_WARNING: '1', NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`cast ${args[0]} failed: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

test('foundry cast: block-number, chain-id, publish, receipt, call, logs, block, send', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const rpcUrl = ['--rpc-url', server.httpUrl];
    assert.equal(await cast(['chain-id', ...rpcUrl]), String(CHAIN_ID));
    assert.equal(await cast(['block-number', ...rpcUrl]), '0');

    const key = node.devAccounts[0]!;
    const account = privateKeyToAccount(key);
    const { abi, bytecode } = counterContract();
    const raw = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', nonce: 0, gas: 1_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: bytecode });
    // `cast publish` sends a signed raw transaction and waits for its receipt.
    const published = JSON.parse(await cast(['publish', ...rpcUrl, '--json', raw])) as { transactionHash: Hex; contractAddress: Hex; status: string };
    assert.equal(published.status, '0x1');
    const contract = published.contractAddress;
    const receipt = JSON.parse(await cast(['receipt', ...rpcUrl, '--json', published.transactionHash])) as { contractAddress: Hex; blockNumber: string };
    assert.equal(receipt.contractAddress.toLowerCase(), contract.toLowerCase());
    assert.equal(await cast(['block-number', ...rpcUrl]), String(BigInt(receipt.blockNumber)));
    assert.match(await cast(['code', ...rpcUrl, contract]), /^0x[0-9a-f]{100,}$/);

    const setRaw = await account.signTransaction({
      chainId: CHAIN_ID, type: 'eip1559', nonce: 1, gas: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: contract,
      data: encodeFunctionData({ abi, functionName: 'set', args: [7n, tag(7)] }),
    });
    const set = JSON.parse(await cast(['publish', ...rpcUrl, '--json', setRaw])) as { transactionHash: Hex; status: string; blockNumber: string };
    assert.equal(set.status, '0x1');
    assert.equal(await cast(['call', ...rpcUrl, contract, 'total()(uint256)']), '7');
    assert.equal(await cast(['call', ...rpcUrl, contract, 'valueOf(address)(uint256)', account.address]), '7');

    const logs = JSON.parse(await cast(['logs', ...rpcUrl, '--json', '--from-block', '0', '--to-block', 'latest', '--address', contract, 'Set(address indexed,uint256 indexed,bytes32)'])) as Array<{ transactionHash: Hex; topics: Hex[] }>;
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.transactionHash, set.transactionHash);
    assert.equal(BigInt(logs[0]!.topics[2]!), 7n);

    const block = JSON.parse(await cast(['block', ...rpcUrl, '--json', String(BigInt(set.blockNumber))])) as { transactions: Hex[]; miner: Hex };
    assert.deepEqual(block.transactions, [set.transactionHash]);
    const tx = JSON.parse(await cast(['tx', ...rpcUrl, '--json', set.transactionHash])) as { from: Hex; blockTimestamp?: string };
    assert.equal(tx.from.toLowerCase(), account.address.toLowerCase());

    // cast signs, estimates gas and fees itself (eth_estimateGas, eth_feeHistory / eth_gasPrice).
    const sent = JSON.parse(await cast(['send', ...rpcUrl, '--json', '--private-key', node.devAccounts[1]!, contract, 'set(uint256,bytes32)', '9', tag(9)])) as { status: string };
    assert.equal(sent.status, '0x1');
    assert.equal(await cast(['call', ...rpcUrl, contract, 'total()(uint256)']), '16');

    // A refused transaction reaches cast as the node's error.
    const gapped = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', nonce: 0, gas: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: contract });
    await assert.rejects(cast(['publish', ...rpcUrl, gapped]), /nonce too low|already known/);
  } finally {
    await server.close();
    await close();
  }
});
