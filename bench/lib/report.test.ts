import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, percentile } from './report.ts';

test('formatTable aligns columns', () => {
  const t = formatTable([{ op: 'a', n: 1 }, { op: 'longer', n: 2.5 }]);
  assert.equal(t.split('\n')[0], 'op      n   ');
  assert.match(t, /longer {2}2\.50/);
});

test('percentile uses nearest rank', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.ok(Number.isNaN(percentile([], 50)));
});
