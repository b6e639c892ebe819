/**
 * The two rules that keep chain access's sharing safe (access.ts), each performed against a real
 * chain: the per-block memo is keyed by the block's hash, so a different block at the same height
 * (a reorg) is never answered from the replaced block's reads; and a latest-block read already
 * under way is never handed to a caller who asked after it started, so a caller who asks after a
 * block was sealed sees that block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, custom, type EIP1193RequestFn, type PublicClient } from 'viem';
import { Permission, ScopeKind, ZERO_SCOPE, recordCategory, type MedChainAddresses } from '../../sdk/contracts.ts';
import { opaquePurpose } from '../../../test/purposes.ts';
import { medchainFixture, randomKey } from '../../../contracts/test/fixture.ts';
import { devNode } from '../../../test/chain/helpers.ts';
import { createChainAccess } from './access.ts';
import { clockAtSeconds, systemClock } from '../clock.ts';

const OBS = recordCategory('Observation');

test('a block replaced at the same height (a reorg) is not served from the memo of the block it replaced', async () => {
  // EDR's evm_snapshot / evm_revert is a real reorg as a client sees it: the chain goes back and a
  // different block is mined at the same height.
  const f = await medchainFixture();
  const t0 = await f.latestTimestamp();
  await f.mined(f.as('patient').consent.write.grant([{
    grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose(), validFrom: 0n, validUntil: t0 + 10_000n,
  }]));
  const clock = t0 + 100n;
  const access = createChainAccess({ client: f.publicClient, addresses: f.addresses, clock: clockAtSeconds(() => clock) });
  const decide = () => access.authorizeRecord({ patient: f.addr.patient, accessor: f.addr.doctor, category: OBS, recordId: randomKey(), permission: Permission.Read });

  const snapshot = await f.rpc('evm_snapshot');
  await f.rpc('evm_mine');
  const replaced = await access.pin();
  assert.equal((await decide()).allowed, true, 'on the first branch the grant stands');

  await f.rpc('evm_revert', [snapshot]);
  await f.mined(f.as('patient').consent.write.revoke([1n]));
  const replacement = await access.pin();
  assert.equal(replacement.blockNumber, replaced.blockNumber, 'the same height');
  assert.notEqual(replacement.hash, replaced.hash, 'another block');
  assert.deepEqual(await decide(), { allowed: false, reason: 'revoked' }, 'decided from the replacement block, not the memo');
});

test('a latest-block read under way is not shared with a caller who asks after a block was sealed', async () => {
  const { node, close } = await devNode();
  try {
    // A slow link to the real node: the block is read at once, but the answer arrives only when released.
    let hold: Promise<void> | undefined;
    let read: () => void = () => {};
    const readDone = new Promise<void>((resolve) => { read = resolve; });
    const request = (async (args: { method: string; params?: unknown }) => {
      if (args.method !== 'eth_getBlockByNumber' || !hold) return node.request(args as never);
      const gate = hold;
      const answer = await node.request(args as never);
      read();
      await gate;
      return answer;
    }) as EIP1193RequestFn;
    const client = createPublicClient({ transport: custom({ request }, { retryCount: 0 }) }) as PublicClient;
    // pin() reads only the latest block: the contract addresses are never used here.
    const access = createChainAccess({ client, addresses: {} as MedChainAddresses, clock: systemClock });

    let release: () => void = () => {};
    hold = new Promise((resolve) => { release = resolve; });
    const before = node.chain.head.header.number;
    const first = access.pin();
    await readDone; // the first read has seen block `before`, its answer is on the way
    await node.request({ method: 'evm_mine' } as never);
    assert.equal(node.chain.head.header.number, before + 1n);
    const late = access.pin(); // asked after the block was sealed
    hold = undefined;
    release();
    assert.equal((await first).blockNumber, before, 'the first caller gets the block its read saw');
    assert.equal((await late).blockNumber, before + 1n, 'the late caller sees the block sealed before it asked');
  } finally {
    await close();
  }
});
