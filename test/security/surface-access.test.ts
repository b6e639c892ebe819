/**
 * Who sees the chain through the gateway (issue 14 item 4; docs/gateway.md § "Who sees the
 * chain"), over real HTTP against a real gateway and chain: an anonymous caller gets only what
 * connecting needs (eth_getLogs, receipts, explorer events → 401, and nothing it sends reaches the
 * chain); a patient sees only the transactions and events about them, not another patient's, and
 * cannot push someone else's signed transaction; a provider is refused the governance view; an
 * auditor and an admin see the whole chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, pad, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { IdentityAbi } from '../../src/sdk/contracts.ts';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';

const rpc = (h: Harness, method: string, params: unknown[], token?: string) =>
  httpCall(h.gateway.url, 'POST', '/rpc', { token, body: { jsonrpc: '2.0', id: 1, method, params } });

const topicOf = (a: Address) => pad(a.toLowerCase() as Hex, { size: 32 });
const mentions = (log: { topics: string[] }, a: Address) => log.topics.slice(1).includes(topicOf(a));

test('attack and policy: what anonymous callers, patients, providers, auditors and admins see of the chain', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    // Chain activity of two patients, and an auditor appointed by governance.
    await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' } });
    await h.addRecord('patient2', 'patient2', { resourceType: 'Condition', code: { text: 'private' } });
    await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'setAuditor', args: [f.addr.outsider, true] })]));
    await h.waitIndexed();
    const [ownAdd, otherAdd] = await Promise.all(['patient', 'patient2'].map(async (who) => {
      const logs = await f.publicClient.getLogs({ address: f.addresses.recordRegistry, fromBlock: 0n });
      return logs.find((l) => mentions(l as never, f.addr[who as 'patient']))!;
    }));
    assert.ok(ownAdd && otherAdd);
    const tokens = {
      patient: (await h.client('patient')).sessionToken!, doctor: (await h.client('doctor')).sessionToken!,
      auditor: (await h.client('outsider')).sessionToken!, admin: (await h.client('admin')).sessionToken!,
    };
    const allLogsFilter = [{ address: Object.values(f.addresses), fromBlock: '0x0', toBlock: 'latest' }];

    // ---- anonymous: connecting only
    assert.equal((await rpc(h, 'eth_chainId', [])).json!.result, '0x7a69');
    assert.equal((await rpc(h, 'eth_blockNumber', [])).status, 200);
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/config')).status, 200);
    for (const [method, params] of [
      ['eth_getLogs', allLogsFilter], ['eth_getTransactionReceipt', [otherAdd.transactionHash]], ['eth_getTransactionByHash', [otherAdd.transactionHash]],
      ['eth_call', [{ to: f.addresses.identity, data: '0x' }, 'latest']], ['eth_getBlockByNumber', ['latest', true]],
    ] as Array<[string, unknown[]]>) {
      const r = await rpc(h, method, params);
      assert.equal(r.status, 401, method);
      assert.equal((r.json!.error as { code: number }).code, 4100, method);
      assert.match((r.json!.error as { message: string }).message, /sign in/, method);
      assert.equal(r.json!.result, undefined, method);
    }
    const batch = await httpCall(h.gateway.url, 'POST', '/rpc', { body: [{ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }, { jsonrpc: '2.0', id: 2, method: 'eth_getLogs', params: allLogsFilter }] });
    assert.equal(batch.status, 401, 'a batch hiding eth_getLogs behind eth_chainId');
    assert.equal((batch.json as unknown as Array<{ result?: unknown }>)[1]!.result, undefined);
    for (const path of ['/api/explorer/events', `/api/explorer/tx/${otherAdd.transactionHash}`, '/api/explorer/blocks', '/api/providers', '/api/validators', '/api/admin/actions']) {
      const r = await httpCall(h.gateway.url, 'GET', path);
      assert.equal(r.status, 401, path);
      assert.match(String(r.json!.error), /sign in/, path);
    }
    // An anonymous eth_sendRawTransaction does not reach the chain.
    const signer2 = privateKeyToAccount(f.keys.patient2);
    const nonce2 = await f.publicClient.getTransactionCount({ address: signer2.address });
    const gasPrice = await f.publicClient.getGasPrice();
    const raw2 = await signer2.signTransaction({ chainId: 31337, type: 'legacy', nonce: nonce2, to: signer2.address, value: 0n, gas: 21_000n, gasPrice });
    assert.equal((await rpc(h, 'eth_sendRawTransaction', [raw2])).status, 401);

    // ---- patient: their own transactions and events only
    const pLogs = (await rpc(h, 'eth_getLogs', allLogsFilter, tokens.patient)).json!.result as Array<{ topics: string[]; transactionHash: Hex }>;
    assert.ok(pLogs.length > 0 && pLogs.every((l) => mentions(l, f.addr.patient)), 'every log the patient gets names the patient');
    assert.ok(pLogs.some((l) => l.transactionHash === ownAdd.transactionHash));
    assert.ok(!pLogs.some((l) => l.transactionHash === otherAdd.transactionHash), "not the other patient's record");
    assert.equal((await rpc(h, 'eth_getTransactionReceipt', [otherAdd.transactionHash], tokens.patient)).json!.result, null);
    assert.equal((await rpc(h, 'eth_getTransactionByHash', [otherAdd.transactionHash], tokens.patient)).json!.result, null);
    assert.equal((await rpc(h, 'eth_getTransactionReceipt', [ownAdd.transactionHash], tokens.patient)).json!.result !== null, true);
    const block = (await rpc(h, 'eth_getBlockByNumber', [`0x${otherAdd.blockNumber!.toString(16)}`, true], tokens.patient)).json!.result as { transactions: unknown[] };
    assert.deepEqual(block.transactions, [], "another account's transaction is left out of a block with full transactions");
    const pEvents = (await httpCall(h.gateway.url, 'GET', '/api/explorer/events?limit=500', { token: tokens.patient })).json!.events as Array<{ txHash: string; args: Record<string, unknown> }>;
    assert.ok(pEvents.length > 0);
    assert.ok(pEvents.every((e) => Object.values(e.args).map(String).some((v) => v.toLowerCase() === f.addr.patient.toLowerCase())), 'only events about the patient');
    assert.ok(!pEvents.some((e) => e.txHash === otherAdd.transactionHash.toLowerCase()), "a patient cannot list another patient's events");
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/explorer/tx/${otherAdd.transactionHash}`, { token: tokens.patient })).status, 404);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/explorer/tx/${ownAdd.transactionHash}`, { token: tokens.patient })).status, 200);
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/admin/actions', { token: tokens.patient })).status, 403);
    // Someone else's signed transaction is refused, and changes nothing; the patient's own goes through.
    const pushed = await rpc(h, 'eth_sendRawTransaction', [raw2], tokens.patient);
    assert.equal((pushed.json!.error as { code: number }).code, 4100);
    assert.match((pushed.json!.error as { message: string }).message, /not by the signed-in account/);
    assert.equal(await f.publicClient.getTransactionCount({ address: signer2.address }), nonce2);
    const signer = privateKeyToAccount(f.keys.patient);
    const own = await signer.signTransaction({ chainId: 31337, type: 'legacy', nonce: await f.publicClient.getTransactionCount({ address: signer.address }), to: signer.address, value: 0n, gas: 21_000n, gasPrice });
    const sent = (await rpc(h, 'eth_sendRawTransaction', [own], tokens.patient)).json!.result as Hex;
    assert.equal((await f.publicClient.waitForTransactionReceipt({ hash: sent })).status, 'success');

    // ---- provider: members' view, no governance view
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/admin/actions', { token: tokens.doctor })).status, 403);
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/providers', { token: tokens.doctor })).status, 200);
    const dLogs = (await rpc(h, 'eth_getLogs', allLogsFilter, tokens.doctor)).json!.result as Array<{ topics: string[] }>;
    assert.ok(dLogs.every((l) => mentions(l, f.addr.doctor)));

    // ---- auditor and admin: the whole chain
    const everything = await f.publicClient.getLogs({ address: Object.values(f.addresses) as Address[], fromBlock: 0n });
    for (const [who, token] of [['auditor', tokens.auditor], ['admin', tokens.admin]] as const) {
      const logs = (await rpc(h, 'eth_getLogs', allLogsFilter, token)).json!.result as unknown[];
      assert.ok(logs.length >= everything.length, `${who} sees every log`);
      assert.notEqual((await rpc(h, 'eth_getTransactionReceipt', [otherAdd.transactionHash], token)).json!.result, null, who);
      const events = (await httpCall(h.gateway.url, 'GET', '/api/explorer/events?limit=500', { token })).json!.events as Array<{ txHash: string }>;
      assert.ok(events.some((e) => e.txHash === otherAdd.transactionHash.toLowerCase()) && events.some((e) => e.txHash === ownAdd.transactionHash.toLowerCase()), who);
      assert.equal((await httpCall(h.gateway.url, 'GET', `/api/explorer/tx/${otherAdd.transactionHash}`, { token })).status, 200, who);
      assert.equal((await httpCall(h.gateway.url, 'GET', '/api/admin/actions', { token })).status, 200, who);
    }
  } finally {
    await h.close();
  }
});
