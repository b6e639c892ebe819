import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScopeKind, ZERO_SCOPE, recordCategory } from '../sdk/contracts.ts';
import { CliError } from './dataDir.ts';
import { amendedTerms, describeTerms, parseDuration, parseScope, parseWindow, termsFrom } from './terms.ts';

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

test('scopes: an unknown category is refused with the valid list', () => {
  assert.throws(() => parseScope('Foo'), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /one of Patient, Observation, Condition/.test(e.message));
  assert.throws(() => parseScope('condition'), /did you mean Condition\?/);
});

test('amending a request keeps every term not given explicitly', () => {
  const now = 1_800_000_000;
  const requested = { grantee: '0x0000000000000000000000000000000000000001' as const, ...parseScope('Condition'), permissions: 1, purpose: 'Research' as const, validFrom: 0n, validUntil: BigInt(now + 7200) };
  assert.deepEqual(amendedTerms(requested, {}, now), requested);
  assert.deepEqual(amendedTerms(requested, { for: '30m', write: true }, now), { ...requested, permissions: 3, validUntil: BigInt(now + 1800) });
  assert.deepEqual(amendedTerms(requested, { permissions: 'write' }, now), { ...requested, permissions: 2 });
  assert.deepEqual(amendedTerms(requested, { scope: 'all' }, now), { ...requested, ...parseScope('all') });
  assert.deepEqual(amendedTerms(requested, { purpose: 'treatment' }, now), { ...requested, purpose: 'Treatment' });
  // A requested start in the future is kept when only the length changes.
  const later = { ...requested, validFrom: BigInt(now + 3600), validUntil: BigInt(now + 7200) };
  assert.deepEqual(amendedTerms(later, { for: '10m' }, now), { ...later, validUntil: BigInt(now + 4200) });
  // An expired request window becomes 24 h from now.
  assert.deepEqual(amendedTerms({ ...requested, validUntil: BigInt(now - 1) }, {}, now), { ...requested, validUntil: BigInt(now + 86400) });
  usage(() => amendedTerms(requested, { permissions: 'all' }, now));
  usage(() => amendedTerms(requested, { permissions: 'read', write: true }, now));
});

test('terms in words, as printed before signing', () => {
  const terms = termsFrom({ scope: 'Condition', read: true, write: true, for: '30m' }, '0x0000000000000000000000000000000000000001', 1_800_000_000);
  assert.equal(describeTerms(terms, 1_800_000_000), 'read+write · Condition · treatment · from the block that includes it until 2027-01-15T08:30:00Z (30m)');
});
