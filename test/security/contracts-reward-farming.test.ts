/**
 * Issue 14 item 9, performed for real: a lab holding a patient's write grant floods updateRecord
 * with content ids that have no blob, over the gateway's public JSON-RPC, to farm score and MED and
 * climb into the validator set. It earns one point and one reward for the period; the validator set
 * the gateway reports (what QBFT reads) does not move; the patient's record still opens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, createWalletClient, defineChain, parseEther, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Permission, ScopeKind, ZERO_SCOPE, medChainContracts } from '../../src/sdk/contracts.ts';
import { openRecordVersion } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { opaquePurpose } from '../purposes.ts';

const junkCid = (n: number): Hex => `0x01551220${n.toString(16).padStart(64, 'f')}`; // a well-formed CID nobody uploaded

test('reward farming with junk versions: one point and one reward per patient per period, validator set unchanged', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const validatorsBefore = (await httpCall(h.gateway.url, 'GET', '/api/validators', { token: (await h.client('patient')).sessionToken })).json!.validators;
    const resource = { resourceType: 'Observation', status: 'final', code: { text: 'glucose' }, subject: { reference: `Patient/${f.addr.patient}` } };
    const prepared = await h.addRecord('patient', 'patient', resource);
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.lab, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: (await f.latestTimestamp()) + 86_400n,
    }]));

    const chain = defineChain({ id: 31337, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [`${h.gateway.url}/rpc`] } } });
    const transport = (await h.client('lab')).rpcTransport({ retryCount: 0 });
    const client = createPublicClient({ chain, transport });
    const lab = medChainContracts(createWalletClient({ account: privateKeyToAccount(f.keys.lab), chain, transport }), f.addresses);
    const FLOOD = 12;
    for (let v = 1; v <= FLOOD; v++) {
      const hash = await lab.recordRegistry.write.updateRecord([prepared.recordId, v, junkCid(v), `0x${v.toString(16).padStart(64, '0')}`]);
      assert.equal((await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status, 'success');
    }
    await h.waitIndexed();

    // Bounded: one point and one author reward for this patient in this period, however many versions.
    assert.equal(await f.read.incentives.read.contributionScore([f.addr.lab]), 1n);
    assert.equal(await f.read.token.read.balanceOf([f.addr.lab]), parseEther('10'));
    const providers = (await httpCall(h.gateway.url, 'GET', '/api/providers', { token: (await h.client('patient')).sessionToken })).json!.providers as Array<{ address: string; score: number }>;
    assert.equal(providers.find((p) => p.address === f.addr.lab)?.score, 1);
    // The validator set does not move without governance.
    assert.deepEqual((await httpCall(h.gateway.url, 'GET', '/api/validators', { token: (await h.client('patient')).sessionToken })).json!.validators, validatorsBefore);
    assert.deepEqual(await f.read.incentives.read.getValidators(), [f.addr.admin]);
    // The patient's own version still opens.
    const patient = await h.client('patient');
    const { envelope } = await patient.getEnvelope(prepared.recordId, 1);
    const opened = await openRecordVersion({
      ciphertext: await patient.getCiphertext(prepared.recordId, 1), envelope, privateKey: h.encryption.patient.privateKey,
      recordId: prepared.recordId, version: 1, patient: f.addr.patient, integrityHash: prepared.integrityHash,
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), resource);
  } finally {
    await h.close();
  }
});
