/**
 * Issue 14 item 2: production nodes admit only allowlisted senders, and onboarding still needs no
 * hand-made allowlist step. Runs `medchain start` in process on a fresh data directory (production
 * sealing, 1 s blocks, the node's public JSON-RPC and the gateway over real HTTP) and on a data
 * directory created in `open` mode before the change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, encodeFunctionData, http, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { createNode } from '../../src/chain/node.ts';
import { initDataDir, start } from '../../src/cli/start.ts';
import { paths } from '../../src/cli/dataDir.ts';
import { IdentityAbi, ProviderKind, Role, medChainContracts, registerPatientTypedData, type MedChainAddresses } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { registerThroughGateway } from '../../src/sdk/onboarding.ts';
import { httpCall } from '../gateway/harness.ts';

process.env.MEDCHAIN_LOG_LEVEL ??= 'warn';
const CHAIN_ID = 1337;
const key32 = (byte: string): Hex => `0x${byte.repeat(32)}`;

function tempDataDir() {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-onboarding-'));
  const passphraseFile = join(dataDir, '..', `${dataDir.split('/').pop()}.pass`);
  writeFileSync(passphraseFile, 'onboarding test passphrase');
  return { dataDir, passphraseFile, cleanup: () => { rmSync(dataDir, { recursive: true, force: true }); rmSync(passphraseFile, { force: true }); } };
}

async function rpc(url: string, method: string, params: unknown[], token?: string) {
  const r = await httpCall(url, 'POST', '', { token, body: { jsonrpc: '2.0', id: 1, method, params } });
  return r.json as { result?: unknown; error?: { code: number; message: string } };
}

/** The account's own transaction, signed here and sent raw (free gas), as any wallet would. */
async function ownTransaction(account: PrivateKeyAccount, identity: Address, nonce: number, data: Hex): Promise<Hex> {
  return account.signTransaction({ to: identity, data, gas: 300_000n, gasPrice: 0n, nonce, chainId: CHAIN_ID, type: 'legacy' });
}
const setMetadata = (byte: string) => encodeFunctionData({ abi: IdentityAbi, functionName: 'setMetadataHash', args: [key32(byte)] });
const registerSelf = encodeFunctionData({ abi: IdentityAbi, functionName: 'registerPatient', args: [key32('12'), key32('34')] });

test('production: a fresh key\'s own transaction is refused; the relayed registration admits it; then its own transactions are accepted', async () => {
  const dir = tempDataDir();
  const options = { dataDir: dir.dataDir, passphraseFile: dir.passphraseFile, host: '127.0.0.1', port: 0, rpcPort: 0, scryptN: 1024 };
  let running = await start(options, () => undefined);
  try {
    const { identity } = running.deployment.addresses as MedChainAddresses;
    const gatewayRpc = `${running.gateway.url}/rpc`;
    const client = createPublicClient({ transport: http(running.rpcUrl) });
    const read = medChainContracts(client, running.deployment.addresses);
    const fresh = privateKeyToAccount(generatePrivateKey());

    // The attack: a fresh key sends for free, on the node's JSON-RPC and through the gateway's /rpc
    // (where anyone may sign in: a session carries no right to send).
    const freshSession = new GatewayClient(running.gateway.url);
    await freshSession.signIn(fresh, { chainId: CHAIN_ID });
    for (const url of [running.rpcUrl, gatewayRpc]) {
      const token = url === gatewayRpc ? freshSession.sessionToken : undefined;
      const refused = await rpc(url, 'eth_sendRawTransaction', [await ownTransaction(fresh, identity, 0, registerSelf)], token);
      assert.ok(refused.error, `a fresh key's transaction must be refused at ${url}`);
      assert.match(refused.error.message, /not authorized/);
      // Nor can it allowlist itself over the public endpoints.
      const selfAdmit = await rpc(url, 'perm_addAccountsToAllowlist', [[fresh.address]], token);
      assert.equal(selfAdmit.error?.code, -32601);
    }
    assert.equal(await read.identity.read.roleOf([fresh.address]), Role.None, 'nothing registered');
    assert.equal(await client.getTransactionCount({ address: fresh.address }), 0);

    // Bad onboarding requests: 4xx with a message, nothing changed.
    const gateway = running.gateway.url;
    assert.equal((await httpCall(gateway, 'POST', '/api/onboarding/patient', { body: '{not json' })).status, 400);
    const malformed = await httpCall(gateway, 'POST', '/api/onboarding/patient', { body: { patient: fresh.address, encryptionKey: '0x12', metadataHash: key32('34'), deadline: 1, signature: '0x00' } });
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.json?.error), /encryptionKey/);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const typed = registerPatientTypedData({ chainId: CHAIN_ID, identity, nonce: 0n, deadline: now + 600n, patient: fresh.address, encryptionKey: key32('12'), metadataHash: key32('34') });
    const forged = await privateKeyToAccount(generatePrivateKey()).signTypedData(typed);
    const refused = await httpCall(gateway, 'POST', '/api/onboarding/patient', { body: { patient: fresh.address, encryptionKey: key32('12'), metadataHash: key32('34'), deadline: String(now + 600n), signature: forged } });
    assert.equal(refused.status, 422);
    assert.match(String(refused.json?.error), /InvalidSignature/);
    const notRegistered = await httpCall(gateway, 'POST', '/api/onboarding/admit', { body: { address: fresh.address } });
    assert.equal(notRegistered.status, 403);
    assert.equal(await read.identity.read.roleOf([fresh.address]), Role.None);
    assert.ok((await rpc(running.rpcUrl, 'eth_sendRawTransaction', [await ownTransaction(fresh, identity, 0, setMetadata('aa'))])).error, 'still not admitted');

    // The relayed registration: signed by the fresh key, sent by the operator, then the account is admitted.
    const registered = await registerThroughGateway(new GatewayClient(gateway), fresh, { role: 'patient', encryptionKey: key32('12'), metadataHash: key32('34') });
    assert.equal(registered.admitted, true);
    assert.equal(await read.identity.read.roleOf([fresh.address]), Role.Patient);
    assert.equal(await read.identity.read.encryptionKeyOf([fresh.address]), key32('12'));
    const again = await httpCall(gateway, 'POST', '/api/onboarding/patient', { body: { patient: fresh.address, encryptionKey: key32('12'), metadataHash: key32('34'), deadline: String(now + 600n), signature: forged } });
    assert.equal(again.status, 409, 'a registered account cannot be registered again');

    // Its own transaction is now accepted and mined.
    const sent = await rpc(running.rpcUrl, 'eth_sendRawTransaction', [await ownTransaction(fresh, identity, 0, setMetadata('56'))]);
    assert.equal(sent.error, undefined, JSON.stringify(sent.error));
    const receipt = await client.waitForTransactionReceipt({ hash: sent.result as Hex, pollingInterval: 100 });
    assert.equal(receipt.status, 'success');
    assert.equal((await read.identity.read.accountOf([fresh.address])).metadataHash, key32('56'));

    // A provider applies the same way (pending until accredited).
    const applicant = privateKeyToAccount(generatePrivateKey());
    const applied = await registerThroughGateway(new GatewayClient(gateway), applicant, { role: 'provider', kind: ProviderKind.Lab, encryptionKey: key32('78'), metadataHash: key32('9a') });
    assert.equal(applied.admitted, true);
    assert.equal(await read.identity.read.roleOf([applicant.address]), Role.Provider);

    // The admission survives a restart (the allowlist is stored with the chain).
    await running.stop();
    running = await start(options, () => undefined);
    const afterRestart = await rpc(running.rpcUrl, 'eth_sendRawTransaction', [await ownTransaction(fresh, identity, 1, setMetadata('bc'))]);
    assert.equal(afterRestart.error, undefined, JSON.stringify(afterRestart.error));
    assert.equal((await createPublicClient({ transport: http(running.rpcUrl) }).waitForTransactionReceipt({ hash: afterRestart.result as Hex, pollingInterval: 100 })).status, 'success');
  } finally {
    await running.stop();
    dir.cleanup();
  }
});

test('a data directory created in open mode keeps working: its node stays open and onboarding still works', async () => {
  const dir = tempDataDir();
  try {
    // The data directory as an earlier version left it: keys, and a production chain created `open`.
    const { authorityKey, config } = await initDataDir({ dataDir: dir.dataDir, passphraseFile: dir.passphraseFile, scryptN: 1024 }, () => undefined);
    const node = await createNode({ dataDir: paths(dir.dataDir).chain, chainId: config.chainId, mode: 'production', authorityKey, permissioning: { mode: 'open' } });
    await node.close();
    const running = await start({ dataDir: dir.dataDir, passphraseFile: dir.passphraseFile, host: '127.0.0.1', port: 0, rpcPort: 0, scryptN: 1024 }, () => undefined);
    try {
      const { identity } = running.deployment.addresses;
      const client = createPublicClient({ transport: http(running.rpcUrl) });
      const self = privateKeyToAccount(generatePrivateKey());
      const sent = await rpc(running.rpcUrl, 'eth_sendRawTransaction', [await ownTransaction(self, identity, 0, registerSelf)]);
      assert.equal(sent.error, undefined, JSON.stringify(sent.error));
      assert.equal((await client.waitForTransactionReceipt({ hash: sent.result as Hex, pollingInterval: 100 })).status, 'success');
      const relayed = await registerThroughGateway(new GatewayClient(running.gateway.url), privateKeyToAccount(generatePrivateKey()), { role: 'patient', encryptionKey: key32('12'), metadataHash: key32('34') });
      assert.match(relayed.txHash, /^0x[0-9a-f]{64}$/);
    } finally {
      await running.stop();
    }
  } finally {
    dir.cleanup();
  }
});
