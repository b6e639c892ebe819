/**
 * Issue 14 item 7, performed for real: a provider whose break-glass the patient closed re-opens it
 * at once over the gateway's public JSON-RPC to get the escrow released again, and tries to push a
 * live window later by re-opening it. Both are refused by the chain; the escrow stays shut; the
 * patient still reads their record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, createPublicClient, createWalletClient, defineChain, parseEventLogs, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ConsentAbi, medChainContracts } from '../../src/sdk/contracts.ts';
import { GatewayError } from '../../src/sdk/gateway.ts';
import { openRecordVersion } from '../../src/sdk/records.ts';
import { expectRevert } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';

/** The actor's own wallet, talking to the chain only through the gateway's public /rpc. */
async function overPublicRpc(h: Harness, actor: 'hospital' | 'patient') {
  const chain = defineChain({ id: 31337, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [`${h.gateway.url}/rpc`] } } });
  const transport = (await h.client(actor)).rpcTransport({ retryCount: 0 });
  const wallet = createWalletClient({ account: privateKeyToAccount(h.f.keys[actor]), chain, transport });
  return { wallet, client: createPublicClient({ chain, transport }), contracts: medChainContracts(wallet, h.f.addresses) };
}

test('break-glass: re-opening after the patient\'s close and re-opening a live window are refused over /rpc; no escrow release, nothing changed', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const patient = await h.client('patient');
    const resource = { resourceType: 'AllergyIntolerance', patient: { reference: `Patient/${f.addr.patient}` }, code: { text: 'penicillin' } };
    const prepared = await h.addRecord('patient', 'patient', resource, [], { escrow: true });
    const id = prepared.recordId;
    const hospital = await h.client('hospital');
    const release = async () => (await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/escrow/release`, { token: hospital.sessionToken!, body: {} })).status;

    const attacker = await overPublicRpc(h, 'hospital');
    const reason = bytesToHex(new Uint8Array(32).fill(9));
    const openHash = await attacker.contracts.consent.write.openEmergencyAccess([f.addr.patient, reason]);
    const opened = await attacker.client.waitForTransactionReceipt({ hash: openHash, pollingInterval: 20 });
    const { until } = parseEventLogs({ abi: ConsentAbi, logs: opened.logs, eventName: 'EmergencyAccessOpened' })[0]!.args;
    assert.equal(await release(), 200);

    // Pushing the live window later: refused, the end is unchanged.
    await expectRevert(attacker.contracts.consent.write.openEmergencyAccess([f.addr.patient, reason]), 'EmergencyAccessAlreadyOpen');
    assert.equal((await f.read.consent.read.emergencyOf([f.addr.patient, f.addr.hospital])).until, until);

    // The patient closes it (their own transaction through /rpc).
    const victim = await overPublicRpc(h, 'patient');
    const closeHash = await victim.contracts.consent.write.closeEmergencyAccess([f.addr.patient, f.addr.hospital]);
    const closed = await victim.client.waitForTransactionReceipt({ hash: closeHash, pollingInterval: 20 });
    assert.equal(parseEventLogs({ abi: ConsentAbi, logs: closed.logs, eventName: 'EmergencyReopenBarredBy' }).length, 1, 'an event the patient\'s UI alerts on');
    await h.waitIndexed();
    assert.equal(await release(), 403);

    // The attack: re-open at once. Estimation names the refusal; a transaction forced through with its own gas limit is mined reverted.
    await expectRevert(attacker.contracts.consent.write.openEmergencyAccess([f.addr.patient, reason]), 'EmergencyReopenBarred');
    const forced: Hex = await attacker.contracts.consent.write.openEmergencyAccess([f.addr.patient, reason], { gas: 500_000n });
    assert.equal((await attacker.client.waitForTransactionReceipt({ hash: forced, pollingInterval: 20 })).status, 'reverted');
    // Still refused a day later.
    await f.mineAt((await f.latestTimestamp()) + 86_400n);
    await expectRevert(attacker.contracts.consent.write.openEmergencyAccess([f.addr.patient, reason]), 'EmergencyReopenBarred');

    // Nothing changed: no live window, no escrow release, one opening on record; the patient still reads.
    await h.waitIndexed();
    assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr.hospital]), false);
    assert.equal(await f.read.consent.read.emergencyOpenedBy([f.addr.hospital]), 1n);
    await assert.rejects(hospital.releaseEscrow(id, 1), (e: GatewayError) => e.status === 403);
    const { envelope } = await patient.getEnvelope(id, 1);
    const mine = await openRecordVersion({
      ciphertext: await patient.getCiphertext(id, 1), envelope, privateKey: h.encryption.patient.privateKey, recordId: id, version: 1, patient: f.addr.patient, integrityHash: prepared.integrityHash,
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(mine.plaintext)), resource);
  } finally {
    await h.close();
  }
});
