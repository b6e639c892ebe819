import { test } from 'node:test';
import assert from 'node:assert/strict';
import { studyCode } from '../../sdk/studies.ts';
import { binOf, exactAggregate, includedIn, releaseComputation } from './computations.ts';
import { patientInput } from './fhirValues.ts';
import { laplaceBound, laplaceNoise } from './laplace.ts';

test('Laplace samples from the CSPRNG have the stated distribution: mean 0, E|X| = b, P(|X| > b ln(1/β)) = β', () => {
  const b = 2;
  const n = 40_000;
  const xs = Array.from({ length: n }, () => laplaceNoise(b));
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  const meanAbs = xs.reduce((a, x) => a + Math.abs(x), 0) / n;
  // sd of the sample mean is b·√2/√n ≈ 0.014; of the mean |X| is b/√n ≈ 0.01 (bounds at > 6 sd).
  assert.ok(Math.abs(mean) < 0.1, `mean ${mean}`);
  assert.ok(Math.abs(meanAbs - b) < 0.07, `E|X| ${meanAbs}`);
  const beyond = xs.filter((x) => Math.abs(x) > laplaceBound(b, 0.05)).length / n;
  assert.ok(Math.abs(beyond - 0.05) < 0.01, `tail ${beyond}`);
  assert.throws(() => laplaceNoise(0), RangeError);
});

test('sensitivities and noise scales follow the declared bounds and the cohort size', () => {
  const cohort = Array.from({ length: 40 }, (_, i) => ({ present: true, x: 4 + (i % 10) }));
  const mean = releaseComputation({ kind: 'Mean', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 0 }, cohort, 0.5);
  assert.equal(mean.noise.sensitivity, 10 / 40);
  assert.equal(mean.noise.scale, 10 / 40 / 0.5);
  const hist = releaseComputation({ kind: 'Histogram', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 5 }, cohort, 1);
  assert.equal(hist.noise.sensitivity, 2);
  assert.equal(hist.result.kind === 'Histogram' && hist.result.bins.length, 5);
  assert.equal(hist.noise.errorBound, Math.round(laplaceBound(2, 0.05, 5) * 1e4) / 1e4);
  const count = releaseComputation({ kind: 'Count', lower: 0, upper: 0, lowerY: 0, upperY: 0, bins: 0 }, cohort, 1);
  assert.equal(count.noise.sensitivity, 1);
  assert.ok(count.result.kind === 'Count' && count.result.count >= 0 && count.result.count <= 40);
  // Values outside the bounds are clamped (what makes the sensitivity hold).
  assert.equal(exactAggregate({ kind: 'Mean', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 0 }, [{ present: true, x: 100 }, { present: true, x: -5 }]).mean, 9);
  assert.equal(binOf(14, { lower: 4, upper: 14, bins: 5 }), 4);
  assert.equal(binOf(4, { lower: 4, upper: 14, bins: 5 }), 0);
});

test('quantiles and regression are released from noisy statistics and land near the truth at a large epsilon', () => {
  const cohort = Array.from({ length: 500 }, (_, i) => ({ present: true, x: (i % 100) / 10, y: 2 + 0.5 * ((i % 100) / 10) }));
  const q = releaseComputation({ kind: 'Quantiles', lower: 0, upper: 10, lowerY: 0, upperY: 0, bins: 20 }, cohort, 50);
  assert.ok(q.result.kind === 'Quantiles' && Math.abs(q.result.quantiles.p50 - 5) < 0.5, JSON.stringify(q.result));
  const r = releaseComputation({ kind: 'LinearRegression', lower: 0, upper: 10, lowerY: 0, upperY: 10, bins: 0 }, cohort, 50);
  assert.ok(r.result.kind === 'LinearRegression' && Math.abs(r.result.slope - 0.5) < 0.1 && Math.abs(r.result.intercept - 2) < 0.5, JSON.stringify(r.result));
});

test('a patient contributes their latest coded value in the window; other codes and resource types are ignored', () => {
  const code = studyCode('http://loinc.org', '4548-4');
  const obs = (value: number, date: string, c = '4548-4') => ({ resourceType: 'Observation', effectiveDateTime: date, code: { coding: [{ system: 'http://loinc.org', code: c }] }, valueQuantity: { value } });
  const resources = [obs(6, '2026-01-01'), obs(8, '2026-05-01'), obs(99, '2026-06-01', '2345-7'), { resourceType: 'Patient', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] } }];
  assert.deepEqual(patientInput(resources, code, undefined, {}), { present: true, x: 8, y: undefined });
  assert.deepEqual(patientInput(resources, code, undefined, { to: Date.parse('2026-03-01') }), { present: true, x: 6, y: undefined });
  assert.deepEqual(patientInput(resources, code, undefined, { from: Date.parse('2026-07-01') }), { present: false, x: undefined, y: undefined });
  assert.equal(includedIn('Mean', { present: false }), false);
  assert.equal(includedIn('Count', { present: false }), true);
});
