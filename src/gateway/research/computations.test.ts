import { test } from 'node:test';
import assert from 'node:assert/strict';
import { studyCode } from '../../sdk/studies.ts';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { verifyCohortInclusion } from '../../sdk/cohortInclusion.ts';
import { cohortTree, newRunSalt, resultHashOf, resultSaltOf } from './commitment.ts';
import { binOf, exactAggregate, exactRegression, includedIn, releaseComputation, SIZE_SHARE } from './computations.ts';
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

test('sensitivities and noise scales follow the declared bounds, never the exact cohort size', () => {
  const cohort = Array.from({ length: 40 }, (_, i) => ({ present: true, x: 4 + (i % 10) }));
  const size = { min: 20, max: 50 };
  const mean = releaseComputation({ kind: 'Mean', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 0 }, cohort, 0.5, size);
  // The mean is a noisy sum over a noisy size: its scale depends on the bounds and ε only (a scale of (U − L)/(nε) would give n away).
  assert.equal(mean.noise.sensitivity, 5);
  assert.equal(mean.noise.scale, 5 / (0.5 * (1 - SIZE_SHARE)));
  assert.equal(mean.noise.sizeEpsilon, 0.5 * SIZE_SHARE);
  assert.ok(Number.isInteger(mean.cohortSize) && mean.cohortSize >= 20 && mean.cohortSize <= 50);
  const hist = releaseComputation({ kind: 'Histogram', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 5 }, cohort, 1, size);
  assert.equal(hist.noise.sensitivity, 2);
  assert.equal(hist.result.kind === 'Histogram' && hist.result.bins.length, 5);
  assert.ok(hist.noise.errorBound! >= laplaceBound(2 / (1 - SIZE_SHARE), 0.05, 5));
  const count = releaseComputation({ kind: 'Count', lower: 0, upper: 0, lowerY: 0, upperY: 0, bins: 0 }, cohort, 1, size);
  assert.equal(count.noise.sensitivity, 1);
  assert.ok(count.result.kind === 'Count' && count.result.count >= 0 && count.result.count <= 50);
  assert.throws(() => releaseComputation({ kind: 'Count', lower: 0, upper: 0, lowerY: 0, upperY: 0, bins: 0 }, cohort, 1, { min: 41, max: 50 }), RangeError);
  // Values outside the bounds are clamped (what makes the sensitivity hold).
  assert.equal(exactAggregate({ kind: 'Mean', lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 0 }, [{ present: true, x: 100 }, { present: true, x: -5 }]).mean, 9);
  assert.equal(binOf(14, { lower: 4, upper: 14, bins: 5 }), 4);
  assert.equal(binOf(4, { lower: 4, upper: 14, bins: 5 }), 0);
});

test('the released cohort size is noised (differencing two runs does not give the exact size); the mean stays within its stated bound', () => {
  const declared = { kind: 'Mean' as const, lower: 4, upper: 14, lowerY: 0, upperY: 0, bins: 0 };
  const cohort = Array.from({ length: 60 }, (_, i) => ({ present: true, x: 4 + (i % 10) }));
  const exact = exactAggregate(declared, cohort).mean;
  const beta = 1e-6;
  const sizes = new Set<number>();
  for (let i = 0; i < 300; i++) {
    const r = releaseComputation(declared, cohort, 1, { min: 20, max: 100 }, beta);
    sizes.add(r.cohortSize);
    assert.ok(r.result.kind === 'Mean' && Math.abs(r.result.mean - exact) <= r.noise.errorBound!, `${JSON.stringify(r)} vs ${exact}`);
  }
  // Lap(1/0.2) on the size: P(ñ = n) ≈ 0.1 per run, so 300 runs show many sizes.
  assert.ok(sizes.size > 10, `sizes seen: ${[...sizes].join(', ')}`);
});

test('quantiles and regression are released from noisy statistics and land near the truth at a large epsilon', () => {
  const cohort = Array.from({ length: 500 }, (_, i) => ({ present: true, x: (i % 100) / 10, y: 2 + 0.5 * ((i % 100) / 10) }));
  const q = releaseComputation({ kind: 'Quantiles', lower: 0, upper: 10, lowerY: 0, upperY: 0, bins: 20 }, cohort, 50, { min: 5, max: 500 });
  assert.ok(q.result.kind === 'Quantiles' && Math.abs(q.result.quantiles.p50 - 5) < 0.5, JSON.stringify(q.result));
  const r = releaseComputation({ kind: 'LinearRegression', lower: 0, upper: 10, lowerY: 0, upperY: 10, bins: 0 }, cohort, 50, { min: 5, max: 500 });
  assert.ok(r.result.kind === 'LinearRegression' && Math.abs(r.result.slope - 0.5) < 0.1 && Math.abs(r.result.intercept - 2) < 0.5, JSON.stringify(r.result));
});

test('the regression states error bounds for slope and intercept that hold over repeated runs', () => {
  const declared = { kind: 'LinearRegression' as const, lower: 0, upper: 10, lowerY: 0, upperY: 10, bins: 0 };
  // Noisy data (not on a line), some values outside the bounds (clamped).
  const cohort = Array.from({ length: 2000 }, (_, i) => ({ present: true, x: (i % 101) / 10, y: 1 + 0.6 * ((i % 101) / 10) + ((i * 7919) % 13) / 6 - 1 }));
  const exact = exactRegression(declared, cohort);
  const beta = 1e-6;
  const slopeErrors: number[] = [];
  for (let i = 0; i < 200; i++) {
    const r = releaseComputation(declared, cohort, 5, { min: 5, max: 3000 }, beta);
    assert.ok(r.result.kind === 'LinearRegression');
    assert.ok(r.noise.slopeBound !== undefined && r.noise.interceptBound !== undefined, 'finite bounds at this cohort and ε');
    assert.ok(Math.abs(r.result.slope - exact.slope) <= r.noise.slopeBound, `slope ${r.result.slope} vs ${exact.slope} ± ${r.noise.slopeBound}`);
    assert.ok(Math.abs(r.result.intercept - exact.intercept) <= r.noise.interceptBound!, `intercept ${r.result.intercept} vs ${exact.intercept} ± ${r.noise.interceptBound}`);
    slopeErrors.push(Math.abs(r.result.slope - exact.slope));
  }
  // At a small cohort the variance of x can vanish under the noise: no finite bound is claimed then.
  const small = releaseComputation(declared, cohort.slice(0, 30), 1, { min: 5, max: 40 });
  assert.equal(small.noise.slopeBound, undefined);
  console.log(`regression n=2000 ε=5: mean |slope error| ${(slopeErrors.reduce((a, b) => a + b, 0) / slopeErrors.length).toFixed(4)} (exact slope ${exact.slope.toFixed(4)})`);
});

test('a run\'s cohort commitment: salted, padded to the participant count; a patient\'s proof checks against the root and opens nothing else', () => {
  const cohort = Array.from({ length: 7 }, () => privateKeyToAccount(generatePrivateKey()).address);
  const outsider = privateKeyToAccount(generatePrivateKey()).address;
  const salt = newRunSalt();
  const tree = cohortTree(salt, cohort, 12);
  assert.equal(tree.root, cohortTree(salt, [...cohort].reverse(), 12).root, 'order-independent: an auditor recomputes it from the list');
  assert.notEqual(tree.root, cohortTree(newRunSalt(), cohort, 12).root, 'the salt changes it: no brute force over candidate cohorts without it');
  for (const p of cohort) {
    const proof = tree.proofOf(p)!;
    assert.equal(proof.treeSize, 12);
    assert.ok(verifyCohortInclusion(proof, p, tree.root));
    assert.equal(verifyCohortInclusion(proof, outsider, tree.root), false);
  }
  assert.equal(tree.proofOf(outsider), undefined);
  const resultSalt = resultSaltOf(salt);
  const released = { studyId: 1, computation: 0, cohortSize: 11, result: { kind: 'Mean', mean: 7.2 } };
  assert.notEqual(resultHashOf(resultSalt, released), resultHashOf(resultSaltOf(newRunSalt()), released));
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
