import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockAtSeconds, clockFrom, systemClock } from './clock.ts';

test('one reading in three units: seconds floor the milliseconds, chain seconds are the same number', () => {
  let ms = 1_700_000_000_999;
  const clock = clockFrom(() => ms);
  assert.equal(clock.ms(), 1_700_000_000_999);
  assert.equal(clock.seconds(), 1_700_000_000);
  assert.equal(clock.chainSeconds(), 1_700_000_000n);
  ms += 1;
  assert.equal(clock.seconds(), 1_700_000_001, 'read on every call, not once');
});

test('a clock at given seconds, moved by hand', () => {
  let t = 100n;
  const clock = clockAtSeconds(() => t);
  assert.equal(clock.chainSeconds(), 100n);
  t = 160n;
  assert.deepEqual([clock.ms(), clock.seconds(), clock.chainSeconds()], [160_000, 160, 160n]);
});

test('the system clock follows the host', () => {
  const before = Date.now();
  const [ms, seconds] = [systemClock.ms(), systemClock.seconds()];
  const after = Date.now();
  assert.ok(ms >= before && ms <= after);
  assert.ok(seconds >= Math.floor(before / 1000) && seconds <= Math.floor(after / 1000));
});
