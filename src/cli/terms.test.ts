import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScopeKind, ZERO_SCOPE, recordCategory } from '../sdk/contracts.ts';
import { CliError } from './dataDir.ts';
import { parseDuration, parseScope, parseWindow, termsFrom } from './terms.ts';

const usage = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof CliError && e.exitCode === 2);

test('durations: 20s, 10m, 2h, 7d, 1h30m; anything else is a usage error', () => {
  assert.deepEqual(['20s', '10m', '2h', '7d', '1h30m', '1d2h3m4s'].map((d) => parseDuration(d)), [20, 600, 7200, 604800, 5400, 93784]);
  for (const bad of ['', '0s', '10', 'ten minutes', '-5m', '1.5h', 'm']) usage(() => parseDuration(bad));
});

test('scopes: all, a resource type, a record', () => {
  assert.deepEqual(parseScope(undefined), { scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE });
  assert.deepEqual(parseScope('Observation'), { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Observation') });
  const id = `0x${'ab'.repeat(32)}`;
  assert.deepEqual(parseScope(`record:${id}`), { scopeKind: ScopeKind.Record, scopeValue: id });
  usage(() => parseScope('record:0x12'));
  usage(() => parseScope('observation'));
});

test('windows: --for from now (validFrom 0 = the mining block), --until, --from; never in the past', () => {
  const now = 1_800_000_000;
  assert.deepEqual(parseWindow({ for: '20s' }, now), { validFrom: 0n, validUntil: BigInt(now + 20) });
  assert.deepEqual(parseWindow({}, now), { validFrom: 0n, validUntil: BigInt(now + 86400) });
  const from = '2027-03-01T08:00:00Z';
  assert.deepEqual(parseWindow({ from, for: '8h' }, now), { validFrom: BigInt(Date.parse(from) / 1000), validUntil: BigInt(Date.parse(from) / 1000 + 8 * 3600) });
  usage(() => parseWindow({ for: '1h', until: from }, now));
  usage(() => parseWindow({ until: '2020-01-01T00:00:00Z' }, now));
  usage(() => parseWindow({ until: 'tomorrow' }, now));
});

test('permissions default to read; --write alone is write only', () => {
  const to = '0x0000000000000000000000000000000000000001';
  assert.equal(termsFrom({}, to).permissions, 1);
  assert.equal(termsFrom({ write: true }, to).permissions, 2);
  assert.equal(termsFrom({ read: true, write: true }, to).permissions, 3);
});
