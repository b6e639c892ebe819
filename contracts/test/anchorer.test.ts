// AccessLogAnchor's anchorer registry: an admin registers a gateway's operator key, which then
// anchors without any provider or admin role; nobody else can register one, and removal holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectRevert, medchainFixture, randomKey } from './fixture.ts';

test('an admin-registered operator anchors; others cannot register or anchor', async () => {
  const f = await medchainFixture();
  const operator = f.as('relayer').accessLogAnchor;
  await expectRevert(operator.write.anchor([1n, randomKey(), 3n]), 'NotAnchorer');
  await expectRevert(f.as('outsider').accessLogAnchor.write.setAnchorer([f.addr.relayer, true]), 'NotAdmin');
  await expectRevert(f.as('relayer').accessLogAnchor.write.setAnchorer([f.addr.relayer, true]), 'NotAdmin');
  assert.equal(await f.read.accessLogAnchor.read.isAnchorer([f.addr.relayer]), false);

  await f.mined(f.as('admin').accessLogAnchor.write.setAnchorer([f.addr.relayer, true]));
  assert.equal(await f.read.accessLogAnchor.read.isAnchorer([f.addr.relayer]), true);
  const root = randomKey();
  await f.mined(operator.write.anchor([1n, root, 3n]));
  assert.equal((await f.read.accessLogAnchor.read.getAnchor([f.addr.relayer, 1n])).root, root);
  // The operator key is no provider and no admin: it cannot break glass or govern.
  assert.equal(await f.read.identity.read.isActiveProvider([f.addr.relayer]), false);
  assert.equal(await f.read.identity.read.isAdmin([f.addr.relayer]), false);

  await f.mined(f.as('admin').accessLogAnchor.write.setAnchorer([f.addr.relayer, false]));
  await expectRevert(operator.write.anchor([2n, randomKey(), 3n]), 'NotAnchorer');
  await expectRevert(f.as('admin').accessLogAnchor.write.setAnchorer(['0x0000000000000000000000000000000000000000', true]), 'InvalidAddress');
});
