import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainClock } from './chainClock.ts';

test('the chain clock: wall time plus offset, an exact next timestamp used once, always after the parent', () => {
  let wall = 1_000;
  const clock = new ChainClock(() => wall);
  assert.equal(clock.nextBlockTimestamp(500n), 1_000n);
  assert.equal(clock.nextBlockTimestamp(1_000n), 1_001n, 'never at or before the parent');
  assert.equal(clock.increase(60), 60);
  assert.equal(clock.nextBlockTimestamp(500n), 1_060n);
  clock.setNextTimestamp(5_000n);
  wall = 1_010;
  assert.equal(clock.nextBlockTimestamp(1_060n), 5_000n, 'exact while unused');
  clock.consumed();
  assert.equal(clock.nextBlockTimestamp(5_000n), 5_010n, 'the clock runs on from the timestamp set');
  wall = 1_100;
  assert.equal(clock.nextBlockTimestamp(5_000n), 5_100n, 'later blocks continue from it');
  assert.equal(clock.offsetSeconds, 4_000);
});
