/**
 * listEmergencyAccesses against a real gateway and chain: two providers open break-glass, the
 * patient closes one early; from the gateway's index and from the chain alone the list agrees —
 * the closed one ended when it was closed, by the patient, and bars its provider; the other is
 * live. Another patient's list stays empty, and a stranger may not list this patient's from the gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError } from '../errors.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { closeBreakGlass, openBreakGlass } from './breakGlass.ts';
import { listEmergencyAccesses } from './listEmergencyAccesses.ts';

test('listEmergencyAccesses: the gateway\'s list and the chain\'s agree on live, closed-by, closed-at and the reopening bar', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const { sendAs } = f;
    const open = async (actor: 'doctor' | 'lab') => openBreakGlass({
      gateway: await h.client(actor), client: f.publicClient, addresses: f.addresses, patient: f.addr.patient,
      provider: { address: f.addr[actor], publicKey: h.encryption[actor].publicKey }, code: 'LifeThreatening', reason: 'cardiac arrest on arrival', send: sendAs(actor),
    });
    const doctor = await open('doctor');
    const lab = await open('lab');
    const closed = await closeBreakGlass({ addresses: f.addresses, patient: f.addr.patient, provider: f.addr.doctor, send: sendAs('patient') });
    const closedAt = Number((await f.publicClient.getBlock({ blockNumber: (await f.publicClient.getTransactionReceipt({ hash: closed.txHash })).blockNumber })).timestamp);
    const now = Number((await f.publicClient.getBlock()).timestamp);
    const base = { client: f.publicClient, addresses: f.addresses, now };

    // The gateway indexes the close a moment after it is mined.
    let fromGateway = await listEmergencyAccesses({ ...base, patient: f.addr.patient, gateway: await h.client('patient') });
    for (let i = 0; i < 100 && fromGateway.rows.some((r) => r.accessId === Number(doctor.accessId) && !r.closedBy); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      fromGateway = await listEmergencyAccesses({ ...base, patient: f.addr.patient, gateway: await h.client('patient') });
    }
    const fromChain = await listEmergencyAccesses({ ...base, patient: f.addr.patient });
    assert.deepEqual([fromGateway.source, fromChain.source], ['gateway', 'chain']);
    for (const { rows } of [fromGateway, fromChain]) {
      const view = rows.map((r) => ({ accessId: r.accessId, provider: r.provider, live: r.live, barred: r.barred, closedBy: r.closedBy?.toLowerCase() ?? null, closedAt: r.closedAt ?? null }));
      assert.deepEqual(view, [
        { accessId: Number(doctor.accessId), provider: f.addr.doctor, live: false, barred: true, closedBy: f.addr.patient.toLowerCase(), closedAt },
        { accessId: Number(lab.accessId), provider: f.addr.lab, live: true, barred: false, closedBy: null, closedAt: null },
      ]);
      assert.equal(rows[0]!.until, closedAt, 'a close moves the end to when it was closed');
      assert.equal(rows[1]!.until, Number(lab.until));
      assert.equal(rows[1]!.txHash, lab.txHash);
    }
    // Once its window has passed, the open one is no longer live.
    const later = await listEmergencyAccesses({ ...base, now: Number(lab.until) + 1, patient: f.addr.patient });
    assert.deepEqual(later.rows.map((r) => r.live), [false, false]);

    assert.deepEqual((await listEmergencyAccesses({ ...base, patient: f.addr.patient2 })).rows, []);
    // Attack: another patient lists this patient's emergencies through the gateway. Refused.
    await assert.rejects(listEmergencyAccesses({ ...base, patient: f.addr.patient, gateway: await h.client('patient2') }), AccessDeniedError);
  } finally {
    await h.close();
  }
});
