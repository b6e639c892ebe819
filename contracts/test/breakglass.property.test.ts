/**
 * Property-based test of break-glass (issue 14 item 7): random sequences of openings by two
 * providers, closes by the patient or the provider, the patient lifting a bar, and the passing of
 * time, checked after every step against a small reference model. Whatever the sequence, a live
 * window is never pushed later, and a provider the patient closed out never gets access back
 * until the patient (or governance) allows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFunctionData, type Hex } from 'viem';
import { ConsentAbi } from '../../src/sdk/contracts.ts';
import { medchainFixture, randomKey, type Actor, type Fixture } from './fixture.ts';

const PROVIDERS: Actor[] = ['doctor', 'lab'];
const DURATION = 300n; // governance sets the shortest window, so that waits cross its end

type Action =
  | { type: 'open'; p: number }
  | { type: 'close'; p: number; byPatient: boolean }
  | { type: 'allow'; p: number }
  | { type: 'wait'; seconds: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant('open' as const), p: fc.nat(1) }),
  fc.record({ type: fc.constant('close' as const), p: fc.nat(1), byPatient: fc.boolean() }),
  fc.record({ type: fc.constant('allow' as const), p: fc.nat(1) }),
  fc.record({ type: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
);

async function run(f: Fixture, actions: Action[]) {
  // Each run starts where the previous one left the chain: windows over, no bar.
  const model = await Promise.all(PROVIDERS.map(async (p) => ({ until: (await f.read.consent.read.emergencyOf([f.addr.patient, f.addr[p]])).until, barred: false })));
  // Forced gas: refused calls are mined as reverted transactions, so every step has a block time.
  const send = async (write: Promise<Hex>) => {
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash: await write, pollingInterval: 10 });
    return { ok: receipt.status === 'success', at: (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp };
  };
  const gas = { gas: 500_000n };
  for (const a of actions) {
    if (a.type === 'wait') { await f.mineAt((await f.latestTimestamp()) + BigInt(a.seconds)); continue; }
    const m = model[a.p]!;
    const provider = f.addr[PROVIDERS[a.p]!];
    if (a.type === 'open') {
      const { ok, at } = await send(f.as(PROVIDERS[a.p]!).consent.write.openEmergencyAccess([f.addr.patient, randomKey()], gas));
      const expected = !m.barred && m.until <= at;
      assert.equal(ok, expected, `open by ${PROVIDERS[a.p]} at ${at} (until ${m.until}, barred ${m.barred})`);
      if (ok) m.until = at + DURATION;
    } else if (a.type === 'close') {
      const by = a.byPatient ? 'patient' : PROVIDERS[a.p]!;
      const { ok, at } = await send(f.as(by).consent.write.closeEmergencyAccess([f.addr.patient, provider], gas));
      assert.equal(ok, m.until > at, `close by ${by} at ${at} (until ${m.until})`);
      if (ok) { m.until = at; if (a.byPatient) m.barred = true; }
    } else {
      const { ok } = await send(f.as('patient').consent.write.allowEmergencyReopen([f.addr.patient, provider], gas));
      assert.equal(ok, m.barred);
      if (ok) m.barred = false;
    }
    const now = await f.latestTimestamp();
    for (const [i, p] of PROVIDERS.entries()) {
      const e = await f.read.consent.read.emergencyOf([f.addr.patient, f.addr[p]]);
      assert.equal(e.until, model[i]!.until, `${p}'s window end`);
      assert.equal(await f.read.consent.read.hasEmergencyAccess([f.addr.patient, f.addr[p]]), model[i]!.until > now);
      assert.equal(await f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr[p]]), model[i]!.barred);
    }
  }
}

test('break-glass matches the reference model: no stretching a live window, a patient\'s close holds until lifted', async () => {
  const f = await medchainFixture();
  await f.mined(f.as('admin').identity.write.approve([f.addresses.consent, encodeFunctionData({ abi: ConsentAbi, functionName: 'setBreakGlassDuration', args: [DURATION] })]));
  // One fixture for every run: each starts after every window ended, with every bar lifted.
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 14 }), async (actions) => {
    await f.mineAt((await f.latestTimestamp()) + DURATION + 1n);
    for (const p of PROVIDERS) {
      if (await f.read.consent.read.emergencyReopenBarred([f.addr.patient, f.addr[p]])) await f.mined(f.as('patient').consent.write.allowEmergencyReopen([f.addr.patient, f.addr[p]]));
    }
    await run(f, actions);
  }), { numRuns: 25 });
});
