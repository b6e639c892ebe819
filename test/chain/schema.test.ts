/**
 * The node's JSON-RPC answers checked against the Ethereum execution-apis OpenRPC result schemas
 * (vectors/execution-apis, CC0), with ajv 8: blocks (hashes and full transactions), transactions
 * mined and pending, receipts, logs, fee history, state reads and calls, over real HTTP after a
 * real contract deployment and call. Plus the JSON-RPC details standard tooling relies on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { encodeFunctionData, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { counterContract } from './fixtures.ts';
import { CHAIN_ID, devNode, tag } from './helpers.ts';

const VECTORS = join(import.meta.dirname, 'vectors', 'execution-apis');
const schemas = JSON.parse(readFileSync(join(VECTORS, 'schemas.json'), 'utf8'));
const methods = JSON.parse(readFileSync(join(VECTORS, 'methods.json'), 'utf8')) as Record<string, { params: Array<{ name: string; required: boolean }>; result: unknown }>;

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(schemas, 'execution-apis');
// The method files reference components by local pointer; resolve them against the shared document.
const resultValidator = (method: string) => {
  const schema = JSON.parse(JSON.stringify(methods[method]!.result).replaceAll('"#/components/', '"execution-apis#/components/'));
  return ajv.compile(schema);
};

async function rpc(url: string, method: string, params: unknown[] = []) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

test('answers match the execution-apis result schemas', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    const account = privateKeyToAccount(node.devAccounts[0]!);
    const { abi, bytecode } = counterContract();
    const sign = (nonce: number, fields: { to?: Hex; data: Hex; gas: bigint }) => account.signTransaction({
      chainId: CHAIN_ID, type: 'eip1559', nonce, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...fields,
    });
    const deployHash = (await rpc(url, 'eth_sendRawTransaction', [await sign(0, { data: bytecode, gas: 1_000_000n })])).result as Hex;
    const wait = async (h: Hex) => {
      for (let i = 0; i < 200; i++) {
        const r = (await rpc(url, 'eth_getTransactionReceipt', [h])).result as { contractAddress: Hex; blockNumber: Hex; blockHash: Hex } | null;
        if (r) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error('not mined');
    };
    const contract = (await wait(deployHash)).contractAddress;
    const setData = encodeFunctionData({ abi, functionName: 'set', args: [5n, tag(5)] });
    const setHash = (await rpc(url, 'eth_sendRawTransaction', [await sign(1, { to: contract, data: setData, gas: 200_000n })])).result as Hex;
    const mined = await wait(setHash);
    // A gapped transaction stays pending in the pool: a pending transaction object.
    const pendingHash = (await rpc(url, 'eth_sendRawTransaction', [await sign(3, { to: contract, data: setData, gas: 200_000n })])).result as Hex;

    const calls: Array<[string, unknown[]]> = [
      ['eth_chainId', []], ['eth_blockNumber', []], ['eth_syncing', []], ['eth_gasPrice', []], ['eth_maxPriorityFeePerGas', []],
      ['eth_blobBaseFee', []], ['eth_coinbase', []], ['eth_accounts', []], ['net_version', []],
      ['eth_getBlockByNumber', [mined.blockNumber, false]], ['eth_getBlockByNumber', [mined.blockNumber, true]],
      ['eth_getBlockByNumber', ['latest', true]], ['eth_getBlockByNumber', ['0x0', false]], ['eth_getBlockByNumber', ['0xffffff', false]],
      ['eth_getBlockByHash', [mined.blockHash, true]],
      ['eth_getBlockTransactionCountByNumber', [mined.blockNumber]], ['eth_getBlockTransactionCountByHash', [mined.blockHash]],
      ['eth_getBlockReceipts', [mined.blockNumber]],
      // (A pending transaction is left out: the schema requires blockHash/blockNumber strings, while
      // geth, Besu and viem use null for them until the transaction is mined; checked below.)
      ['eth_getTransactionByHash', [setHash]],
      ['eth_getTransactionByBlockNumberAndIndex', [mined.blockNumber, '0x0']], ['eth_getTransactionByBlockHashAndIndex', [mined.blockHash, '0x0']],
      ['eth_getTransactionReceipt', [setHash]], ['eth_getTransactionReceipt', [deployHash]],
      ['eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: contract }]],
      ['eth_feeHistory', ['0x4', 'latest', [25, 75]]],
      ['eth_getBalance', [account.address, 'latest']], ['eth_getCode', [contract, 'latest']],
      ['eth_getStorageAt', [contract, '0x0', 'latest']], ['eth_getTransactionCount', [account.address, 'pending']],
      ['eth_call', [{ to: contract, data: encodeFunctionData({ abi, functionName: 'total' }) }, 'latest']],
      ['eth_estimateGas', [{ from: account.address, to: contract, data: setData }]],
      ['eth_newBlockFilter', []],
    ];
    const failures: string[] = [];
    for (const [method, params] of calls) {
      const answer = await rpc(url, method, params);
      assert.equal(answer.error, undefined, `${method}: ${JSON.stringify(answer.error)}`);
      const validate = resultValidator(method);
      if (!validate(answer.result)) failures.push(`${method}(${JSON.stringify(params).slice(0, 60)}): ${ajv.errorsText(validate.errors)}`);
    }
    assert.deepEqual(failures, []);
    // The Feb 2026 schema field, mined and pending.
    const tx = (await rpc(url, 'eth_getTransactionByHash', [setHash])).result as { blockTimestamp: Hex; blockNumber: Hex };
    const block = (await rpc(url, 'eth_getBlockByNumber', [tx.blockNumber, false])).result as { timestamp: Hex };
    assert.equal(tx.blockTimestamp, block.timestamp);
    const pending = (await rpc(url, 'eth_getTransactionByHash', [pendingHash])).result as Record<string, unknown>;
    assert.deepEqual([pending.blockHash, pending.blockNumber, pending.blockTimestamp, pending.transactionIndex], [null, null, null, null]);
    assert.equal(pending.hash, pendingHash);
  } finally {
    await server.close();
    await close();
  }
});

test('JSON-RPC details tools trip on: missing required params, inverted log ranges', async () => {
  const { node, close } = await devNode();
  const server = await node.listen({ port: 0 });
  try {
    const url = server.httpUrl;
    assert.equal(methods.eth_getBlockByNumber!.params[1]!.required, true, 'the spec requires the hydrated flag');
    assert.deepEqual((await rpc(url, 'eth_getBlockByNumber', ['latest'])).error, { code: -32602, message: 'missing value for required argument 1' });
    assert.deepEqual((await rpc(url, 'eth_getBlockByHash', [`0x${'00'.repeat(32)}`])).error, { code: -32602, message: 'missing value for required argument 1' });
    assert.equal((await rpc(url, 'eth_getBlockByNumber', ['latest', 'yes'])).error?.code, -32602);
    await node.request({ method: 'hardhat_mine', params: ['0x3'] } as never);
    assert.deepEqual((await rpc(url, 'eth_getLogs', [{ fromBlock: '0x3', toBlock: '0x1' }])).error, { code: -32602, message: 'invalid block range params' });
    assert.deepEqual((await rpc(url, 'eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x3' }])).result, []);
    // A range that starts after the head (toBlock latest) is empty, as in geth.
    assert.deepEqual((await rpc(url, 'eth_getLogs', [{ fromBlock: '0x10' }])).result, []);
  } finally {
    await server.close();
    await close();
  }
});
