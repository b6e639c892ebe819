import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, custom } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { createEdrProvider } from '../../src/chain/edrProvider.ts';
import { PlaceholderAbi, PlaceholderBytecode } from '../build/abis.ts';

test('deploys and calls a contract on EDR', async () => {
  const key = generatePrivateKey();
  const provider = await createEdrProvider({ accounts: [key] });
  const account = privateKeyToAccount(key);
  const wallet = createWalletClient({ account, transport: custom(provider), chain: { id: 31337, name: 't', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [] } } } });
  const pub = createPublicClient({ transport: custom(provider) });
  const hash = await wallet.deployContract({ abi: PlaceholderAbi, bytecode: PlaceholderBytecode });
  const receipt = await pub.getTransactionReceipt({ hash });
  assert.ok(receipt.contractAddress);
  const v = await pub.readContract({ address: receipt.contractAddress, abi: PlaceholderAbi, functionName: 'ping' });
  assert.equal(v, 1n);
});
