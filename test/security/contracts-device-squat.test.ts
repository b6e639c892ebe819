/**
 * Issue 14 item 8, performed for real: a patient claims another person's address as "their device"
 * over the gateway's public JSON-RPC, to bar it from ever registering. Refused by the chain without
 * the device key's own signature; the victim then onboards as a provider as intended. A real device
 * signs its registration and writes for its patient.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, defineChain, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ProviderKind, Role, medChainContracts, registerDeviceTypedData } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { registerThroughGateway } from '../../src/sdk/onboarding.ts';
import { expectRevert } from '../../contracts/test/fixture.ts';
import { gatewayHarness } from '../gateway/harness.ts';

test('device squatting: registering someone else\'s address as a device is refused over /rpc; the victim still registers', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const chain = defineChain({ id: 31337, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [`${h.gateway.url}/rpc`] } } });
    const transport = (await h.client('patient2')).rpcTransport({ retryCount: 0 });
    const client = createPublicClient({ chain, transport });
    const squatter = medChainContracts(createWalletClient({ account: privateKeyToAccount(f.keys.patient2), chain, transport }), f.addresses);
    const victim = privateKeyToAccount(generatePrivateKey()); // a doctor-to-be, not yet registered
    const deadline = (await f.latestTimestamp()) + 600n;
    const typed = (owner: Hex, nonce = 0n) => registerDeviceTypedData({ chainId: 31337, identity: f.addresses.identity, nonce, deadline, device: victim.address, owner });

    // No signature, the squatter's own signature, a signature the victim gave for another owner: all refused.
    await expectRevert(squatter.identity.write.registerDevice([victim.address, deadline, '0x']), 'InvalidSignature');
    const bySquatter = await privateKeyToAccount(f.keys.patient2).signTypedData(typed(f.addr.patient2));
    await expectRevert(squatter.identity.write.registerDevice([victim.address, deadline, bySquatter]), 'InvalidSignature');
    const forSomeoneElse = await victim.signTypedData(typed(f.addr.patient));
    await expectRevert(squatter.identity.write.registerDevice([victim.address, deadline, forSomeoneElse]), 'InvalidSignature');
    // Forced through with its own gas limit: mined, reverted.
    const forced = await squatter.identity.write.registerDevice([victim.address, deadline, bySquatter], { gas: 300_000n });
    assert.equal((await client.waitForTransactionReceipt({ hash: forced, pollingInterval: 20 })).status, 'reverted');

    // Nothing changed: the address is free and registers as a provider through onboarding.
    assert.equal(await f.read.identity.read.roleOf([victim.address]), Role.None);
    const applied = await registerThroughGateway(new GatewayClient(h.gateway.url), victim, { role: 'provider', kind: ProviderKind.Doctor, encryptionKey: `0x${'12'.repeat(32)}`, metadataHash: `0x${'34'.repeat(32)}` });
    assert.match(applied.txHash, /^0x[0-9a-f]{64}$/);
    assert.equal(await f.read.identity.read.roleOf([victim.address]), Role.Provider);

    // A real device consents with its own key and is registered to its patient.
    const device = privateKeyToAccount(f.keys.device);
    const deviceSig = await device.signTypedData(registerDeviceTypedData({ chainId: 31337, identity: f.addresses.identity, nonce: 0n, deadline, device: device.address, owner: f.addr.patient }));
    // The owner sends her own transaction through her own session (the gateway's /rpc takes only those).
    const ownerTransport = (await h.client('patient')).rpcTransport({ retryCount: 0 });
    const owner = medChainContracts(createWalletClient({ account: privateKeyToAccount(f.keys.patient), chain, transport: ownerTransport }), f.addresses);
    const ok = await owner.identity.write.registerDevice([device.address, deadline, deviceSig]);
    // Read back as the owner: the gateway shows a receipt only to the accounts it concerns.
    assert.equal((await createPublicClient({ chain, transport: ownerTransport }).waitForTransactionReceipt({ hash: ok, pollingInterval: 20, timeout: 30_000 })).status, 'success');
    assert.equal(await f.read.identity.read.deviceOwner([device.address]), f.addr.patient);
  } finally {
    await h.close();
  }
});
