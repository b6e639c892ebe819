import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, custom, defineChain } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CHAIN_ID, engines } from '../scenario/engines.ts';
import { counterContract } from './fixtures.ts';

const chain = defineChain({ id: CHAIN_ID, name: 'scenario', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } });

for (const engine of engines) {
  test(`engine ${engine.name}: funded accounts, deploy, and a time-window edge that both engines agree on`, async () => {
    const e = await engine.start();
    try {
      const account = privateKeyToAccount(e.accounts[0]!);
      const pub = createPublicClient({ chain, transport: custom(e.provider), pollingInterval: 10 });
      const wallet = createWalletClient({ chain, account, transport: custom(e.provider) });
      assert.ok((await pub.getBalance({ address: account.address })) > 10n ** 20n);
      const { abi, bytecode } = counterContract();
      const { contractAddress: address } = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
      const head = await pub.getBlock();
      const T = head.timestamp + 1000n;
      await pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: address!, abi, functionName: 'setNotBefore', args: [T] }) });
      // one second before the edge: closed; at the edge: open (block.timestamp >= T)
      await e.setNextTimestamp(T - 1n);
      await e.mine();
      assert.equal(await pub.readContract({ address: address!, abi, functionName: 'open' }), false);
      assert.equal((await pub.getBlock()).timestamp, T - 1n);
      await e.setNextTimestamp(T);
      await e.mine();
      assert.equal(await pub.readContract({ address: address!, abi, functionName: 'open' }), true);
      assert.equal(await pub.readContract({ address: address!, abi, functionName: 'now_' }), T);
      // unlocked accounts: eth_sendTransaction without local signing
      const hash = await e.provider.request({ method: 'eth_sendTransaction', params: [{ from: account.address, to: privateKeyToAccount(e.accounts[1]!).address, value: '0x1' }] } as never) as `0x${string}`;
      assert.equal((await pub.waitForTransactionReceipt({ hash })).status, 'success');
      // unlocked accounts sign EIP-712 data and messages (relayed consent signatures)
      const jsonRpcWallet = createWalletClient({ chain, account: account.address, transport: custom(e.provider) });
      const typed = {
        domain: { name: 'MedChain', version: '1', chainId: CHAIN_ID, verifyingContract: address! },
        types: { Grant: [{ name: 'grantee', type: 'address' }, { name: 'validUntil', type: 'uint64' }] },
        primaryType: 'Grant' as const,
        message: { grantee: account.address, validUntil: T },
      };
      const signature = await jsonRpcWallet.signTypedData(typed);
      assert.equal(signature, await account.signTypedData(typed));
      assert.equal(await jsonRpcWallet.signMessage({ message: 'hello' }), await account.signMessage({ message: 'hello' }));
    } finally {
      await e.close();
    }
  });
}
