// Admin views over real HTTP: governance actions waiting for approvals, decoded, until the
// threshold executes them; the leaderboard after record work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, getAddress } from 'viem';
import { IdentityAbi, IncentivesAbi, ProviderKind } from '../../src/sdk/contracts.ts';
import { encodeAccredit, randomKey } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall } from './harness.ts';

test('GET /api/admin/actions: pending governance with approvals and threshold, gone once executed', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const identity = f.addresses.identity;
    const call = (functionName: 'addAdmin' | 'setThresholds', args: readonly unknown[]) => encodeFunctionData({ abi: IdentityAbi, functionName, args } as never);
    // Two admins, two approvals needed for everything.
    await f.mined(f.as('admin').identity.write.approve([identity, call('addAdmin', [f.addr.admin2])]));
    await f.mined(f.as('admin').identity.write.approve([identity, call('setThresholds', [2n, 2n])]));
    await h.waitIndexed();
    const token = (await h.client('admin')).sessionToken;
    const pending = async () => (await httpCall(h.gateway.url, 'GET', '/api/admin/actions', { token })).json!.pending as Array<{ target: string; call: { functionName: string; args: unknown[] } | null; approvals: number; threshold: number; approvers: string[] }>;
    assert.deepEqual(await pending(), [], 'executed actions are not pending');

    await f.mined(f.as('applicant').identity.write.applyAsProvider([ProviderKind.Doctor, randomKey(), randomKey()]));
    await f.mined(f.as('admin').identity.write.approve([identity, encodeAccredit(f.addr.applicant)]));
    const rewards = encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewards', args: [5n * 10n ** 18n, 10n ** 18n] });
    await f.mined(f.as('admin2').identity.write.approve([f.addresses.incentives, rewards]));
    await h.waitIndexed();
    const open = await pending();
    assert.equal(open.length, 2);
    assert.deepEqual(open.map((a) => [a.call?.functionName, a.approvals, a.threshold]), [['accreditProvider', 1, 2], ['setRewards', 1, 2]]);
    assert.deepEqual(open[0]!.call!.args, [f.addr.applicant]);
    assert.deepEqual(open[1]!.approvers, [f.addr.admin2]);
    assert.equal(open[1]!.target, getAddress(f.addresses.incentives));

    await f.mined(f.as('admin2').identity.write.approve([identity, encodeAccredit(f.addr.applicant)]));
    await h.waitIndexed();
    assert.deepEqual((await pending()).map((a) => a.call?.functionName), ['setRewards']);
    assert.equal(await f.read.identity.read.isActiveProvider([f.addr.applicant]), true);
  } finally {
    await h.close();
  }
});
