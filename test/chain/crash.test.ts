import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashRounds } from './crashHarness.ts';
import { tempDir } from './helpers.ts';

test('kill -9 at random moments loses no acknowledged transaction; head, state and logs stay consistent', { timeout: 120_000 }, async () => {
  const dir = tempDir('medchain-crash-');
  try {
    const report = await crashRounds(dir.dir, 5);
    assert.ok(report.acknowledged > 20, `only ${report.acknowledged} transactions acknowledged`);
    assert.ok(report.checks >= report.acknowledged);
  } finally {
    dir.remove();
  }
});
