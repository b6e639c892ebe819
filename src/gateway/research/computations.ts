/**
 * The catalogue of approved computations, each an ε-differentially-private release of one aggregate
 * over a cohort with one value (or one pair) per patient (docs/research.md states the same).
 *
 * Privacy unit: one patient. Neighbouring cohorts: one patient added or removed ("unbounded" DP,
 * Dwork & Roth 2014 §2.3) — the notion that covers *whether* a participant has data in a run's date
 * window, which a researcher could otherwise learn by differencing two runs. So the cohort size is
 * not released exactly: each run spends SIZE_SHARE of its ε on a noisy size ñ (Lap(1/ε_size),
 * rounded, clamped into [minimum cohort, participants] — both public), and the statistic spends the
 * rest (ε_stat) without using the exact size anywhere. Values are clamped to the declared bounds
 * first, which is what makes the sensitivities finite:
 *
 *   count       participants with the code     Δ = 1                        Lap(1/ε_stat), clamped to [0, participants]
 *   mean        m + Σ(x − m) / ñ, m = (L+U)/2  Δ(Σ) = (U − L)/2             Lap((U − L)/(2ε_stat)) on the sum
 *   histogram   k equal bins over [L, U]       Δ = 2 (covers a patient       Lap(2/ε_stat) per bin
 *                                              moving between two bins too)
 *   quantiles   25/50/75 % of the noisy histogram   post-processing (no extra ε)
 *   regression  least squares y = a + b·x from noisy Σu, Σv, Σu², Σuv over the shifted values
 *               u = x − L ∈ [0, U − L], v = y − Ly ∈ [0, Uy − Ly], and ñ; ε_stat/4 on each sum with
 *               Δ = U − L, Uy − Ly, (U − L)², (U − L)(Uy − Ly)
 *
 * Every error bound is computed from released values and public parameters only (post-processing),
 * so stating it costs no ε. Only these aggregates leave; never a row.
 */
import type { ComputationKind } from '../../sdk/studies.ts';
import { laplaceBound, laplaceNoise, roundTo } from './laplace.ts';

/** A declared computation in the value's units (the chain keeps millionths). */
export interface DeclaredComputation {
  kind: ComputationKind;
  lower: number;
  upper: number;
  lowerY: number;
  upperY: number;
  bins: number;
}

/** One patient's input: `x` the value the computation reads (their latest in the window), `y` the regression's response. */
export interface PatientInput { present: boolean; x?: number; y?: number }

/** The failure probability of the published error bound (each result states it). */
export const STATED_BETA = 0.05;
/** The share of a run's ε spent on its noisy cohort size. */
export const SIZE_SHARE = 0.2;
/**
 * The smallest ε one run may spend (the contract's MIN_RUN_EPSILON, in millionths there): below it
 * the noise drowns any aggregate and a run is only useful as one of many probes for differencing.
 */
export const MIN_RUN_EPSILON = 0.05;
const DIGITS = 4;

export interface NoiseReport {
  mechanism: 'laplace';
  epsilon: number;
  /** ε spent on the noisy cohort size (SIZE_SHARE of `epsilon`), with its Laplace scale. */
  sizeEpsilon: number;
  sizeScale: number;
  /** The statistic's L1 sensitivity and Laplace scale (for a mean: of the sum; for a regression: of Σu). */
  sensitivity: number;
  scale: number;
  /** |released − exact| ≤ errorBound with probability 1 − beta (for every bin at once for histograms). */
  errorBound?: number;
  /** Regression: the same for slope and intercept (absent when the noise can make the variance of x vanish). */
  slopeBound?: number;
  interceptBound?: number;
  beta: number;
}

export type Released =
  | { kind: 'Count'; count: number }
  | { kind: 'Mean'; mean: number }
  | { kind: 'Histogram'; bins: Array<{ from: number; to: number; count: number }> }
  | { kind: 'Quantiles'; quantiles: { p25: number; p50: number; p75: number }; bins: Array<{ from: number; to: number; count: number }> }
  | { kind: 'LinearRegression'; slope: number; intercept: number };

/** The public bounds a released cohort size is clamped into: the study's minimum cohort and its participant count. */
export interface SizeRange { min: number; max: number }

/** The inputs a computation counts in its cohort: count needs a presence, the others a value (regression: both). */
export function includedIn(kind: ComputationKind, input: PatientInput): boolean {
  if (kind === 'Count') return true;
  if (kind === 'LinearRegression') return input.x !== undefined && input.y !== undefined;
  return input.x !== undefined;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Equal-width bin index of a clamped value (the upper bound falls in the last bin). */
export function binOf(value: number, c: Pick<DeclaredComputation, 'lower' | 'upper' | 'bins'>): number {
  const width = (c.upper - c.lower) / c.bins;
  return Math.min(c.bins - 1, Math.floor((clamp(value, c.lower, c.upper) - c.lower) / width));
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

/** The exact (un-noised) aggregates — internal to the service and to tests; never released. */
export function exactAggregate(c: DeclaredComputation, cohort: PatientInput[]) {
  const xs = cohort.map((p) => clamp(p.x ?? 0, c.lower, c.upper));
  const counts = Array.from({ length: c.bins }, () => 0);
  if (c.bins > 0) for (const x of xs) counts[binOf(x, c)]!++;
  return {
    count: cohort.filter((p) => p.present).length,
    mean: sum(xs) / Math.max(1, xs.length),
    counts,
  };
}

/** The regression's sums over shifted, clamped values: what the release noises (exact here). */
function regressionSums(c: DeclaredComputation, cohort: PatientInput[]) {
  const us = cohort.map((p) => clamp(p.x!, c.lower, c.upper) - c.lower);
  const vs = cohort.map((p) => clamp(p.y!, c.lowerY, c.upperY) - c.lowerY);
  return { su: sum(us), sv: sum(vs), suu: sum(us.map((u) => u * u)), suv: sum(us.map((u, i) => u * vs[i]!)) };
}

/** Least squares from sums over shifted values, back in the values' units. */
function lineOf(c: DeclaredComputation, n: number, s: { su: number; sv: number; suu: number; suv: number }) {
  const denominator = n * s.suu - s.su * s.su;
  const slope = denominator === 0 ? 0 : (n * s.suv - s.su * s.sv) / denominator;
  return { slope, intercept: c.lowerY + (s.sv - slope * s.su) / n - slope * c.lower };
}

/** The exact least-squares line over the clamped cohort (for tests; never released). */
export function exactRegression(c: DeclaredComputation, cohort: PatientInput[]) {
  return lineOf(c, cohort.length, regressionSums(c, cohort));
}

/** Closed intervals and the arithmetic the regression's error bound needs (an enclosure, Moore 1966). */
type Interval = [number, number];
const iAdd = (a: Interval, b: Interval): Interval => [a[0] + b[0], a[1] + b[1]];
const iSub = (a: Interval, b: Interval): Interval => [a[0] - b[1], a[1] - b[0]];
const iMul = (a: Interval, b: Interval): Interval => {
  const p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]];
  return [Math.min(...p), Math.max(...p)];
};
const iScale = (a: Interval, k: number): Interval => (k >= 0 ? [a[0] * k, a[1] * k] : [a[1] * k, a[0] * k]);
/** a / b for b > 0 throughout; undefined when b may reach 0. */
const iDiv = (a: Interval, b: Interval): Interval | undefined => (b[0] > 0 ? iMul(a, [1 / b[1], 1 / b[0]]) : undefined);
const around = (value: number, t: number, lo = -Infinity, hi = Infinity): Interval => [Math.max(lo, value - t), Math.min(hi, value + t)];
const farthest = (x: number, i: Interval | undefined) => (i ? Math.max(Math.abs(i[1] - x), Math.abs(x - i[0])) : undefined);

/** A bound rounded up to the released grid, with the grid's half-unit rounding error included. */
const upTo = (bound: number) => Math.ceil((bound + 0.5 * 10 ** -DIGITS) * 10 ** DIGITS) / 10 ** DIGITS;

export interface Release { result: Released; noise: NoiseReport; cohortSize: number }

/**
 * Releases one computation over `cohort` (already filtered with `includedIn`) with privacy budget
 * `epsilon`: the noisy cohort size (clamped into the public `size` range) and the noisy statistic.
 * `beta` is the failure probability of the stated error bounds (tests pass a smaller one).
 */
export function releaseComputation(c: DeclaredComputation, cohort: PatientInput[], epsilon: number, size: SizeRange, beta = STATED_BETA): Release {
  if (!(epsilon > 0)) throw new RangeError('epsilon must be positive');
  const n = cohort.length;
  if (n < size.min || n > size.max) throw new RangeError(`a cohort of ${n} is outside the range [${size.min}, ${size.max}] its size is released in`);
  const sizeEpsilon = epsilon * SIZE_SHARE;
  const e = epsilon - sizeEpsilon;
  const sizeScale = 1 / sizeEpsilon;
  // Rounding and clamping into a public range that holds n are post-processing: they only bring ñ closer to n.
  const cohortSize = clamp(Math.round(n + laplaceNoise(sizeScale)), size.min, size.max);
  /** |n − ñ| ≤ this with probability 1 − β/k (the ½ is the rounding). */
  const sizeBound = (k: number) => laplaceBound(sizeScale, beta, k) + 0.5;
  const exact = exactAggregate(c, cohort);
  const report = (sensitivity: number, errorBound?: number): NoiseReport => ({
    mechanism: 'laplace', epsilon, sizeEpsilon, sizeScale, sensitivity, scale: sensitivity / e, errorBound: errorBound === undefined ? undefined : upTo(errorBound), beta,
  });
  const binEdges = (i: number) => ({ from: roundTo(c.lower + (i * (c.upper - c.lower)) / c.bins, DIGITS), to: roundTo(c.lower + ((i + 1) * (c.upper - c.lower)) / c.bins, DIGITS) });
  const noisyHistogram = (scale: number) => exact.counts.map((k, i) => ({ ...binEdges(i), count: roundTo(Math.max(0, k + laplaceNoise(scale)), DIGITS) }));

  switch (c.kind) {
    case 'Count': {
      const scale = 1 / e;
      return { cohortSize, noise: report(1, laplaceBound(scale, beta)), result: { kind: 'Count', count: roundTo(clamp(exact.count + laplaceNoise(scale), 0, size.max), DIGITS) } };
    }
    case 'Mean': {
      // Values centred on the middle of [L, U]: each term is within ±(U − L)/2, which halves both the sum's
      // sensitivity and the error the noisy size adds.
      const mid = (c.lower + c.upper) / 2;
      const half = (c.upper - c.lower) / 2;
      const scale = half / e;
      const noisySum = sum(cohort.map((p) => clamp(p.x!, c.lower, c.upper) - mid)) + laplaceNoise(scale);
      // (S + Z)/ñ − S/n = (Z + (S/n)(n − ñ))/ñ with |S/n| ≤ (U − L)/2; union bound over the two noises; clamping only helps.
      const bound = Math.min(c.upper - c.lower, (laplaceBound(scale, beta, 2) + half * sizeBound(2)) / cohortSize);
      return { cohortSize, noise: report(half, bound), result: { kind: 'Mean', mean: roundTo(clamp(mid + noisySum / cohortSize, c.lower, c.upper), DIGITS) } };
    }
    case 'Histogram': {
      const noise = report(2, laplaceBound(2 / e, beta, c.bins));
      return { cohortSize, noise, result: { kind: 'Histogram', bins: noisyHistogram(noise.scale) } };
    }
    case 'Quantiles': {
      const noise = report(2);
      const bins = noisyHistogram(noise.scale);
      return { cohortSize, noise, result: { kind: 'Quantiles', bins, quantiles: { p25: quantileOf(bins, 0.25), p50: quantileOf(bins, 0.5), p75: quantileOf(bins, 0.75) } } };
    }
    case 'LinearRegression': {
      // ε_stat split evenly over the four sums (sequential composition, Dwork & Roth Thm 3.14).
      const e4 = e / 4;
      const du = c.upper - c.lower;
      const dv = c.upperY - c.lowerY;
      const exactSums = regressionSums(c, cohort);
      const scales = { su: du / e4, sv: dv / e4, suu: (du * du) / e4, suv: (du * dv) / e4 };
      const noisy = {
        su: exactSums.su + laplaceNoise(scales.su), sv: exactSums.sv + laplaceNoise(scales.sv),
        suu: exactSums.suu + laplaceNoise(scales.suu), suv: exactSums.suv + laplaceNoise(scales.suv),
      };
      const line = lineOf(c, cohortSize, noisy);
      // The bound: with probability 1 − β all five noises are within their thresholds (union bound), so the
      // true sums and n lie in these intervals (clipped by what the bounds allow); the line's enclosure follows.
      const t = (scale: number) => laplaceBound(scale, beta, 5);
      const boxed = (value: number, scale: number, hi: number) => {
        const clipped = around(value, t(scale), 0, hi);
        return clipped[0] <= clipped[1] ? clipped : around(value, t(scale));
      };
      const nI = around(cohortSize, sizeBound(5), size.min, size.max);
      const suI = boxed(noisy.su, scales.su, nI[1] * du);
      const svI = boxed(noisy.sv, scales.sv, nI[1] * dv);
      const suuI = boxed(noisy.suu, scales.suu, nI[1] * du * du);
      const suvI = boxed(noisy.suv, scales.suv, nI[1] * du * dv);
      const slopeI = iDiv(iSub(iMul(nI, suvI), iMul(suI, svI)), iSub(iMul(nI, suuI), iMul(suI, suI)));
      const interceptI = slopeI && iSub(iAdd([c.lowerY, c.lowerY], iDiv(iSub(svI, iMul(slopeI, suI)), nI)!), iScale(slopeI, c.lower));
      const slopeBound = farthest(line.slope, slopeI);
      const interceptBound = interceptI && farthest(line.intercept, interceptI);
      return {
        cohortSize,
        noise: { ...report(du), slopeBound: slopeBound === undefined ? undefined : upTo(slopeBound), interceptBound: interceptBound === undefined ? undefined : upTo(interceptBound) },
        result: { kind: 'LinearRegression', slope: roundTo(line.slope, DIGITS), intercept: roundTo(line.intercept, DIGITS) },
      };
    }
  }
}

/** The q-quantile of a (noisy) histogram, interpolating linearly inside the bin where the CDF crosses q. */
function quantileOf(bins: Array<{ from: number; to: number; count: number }>, q: number): number {
  const total = bins.reduce((a, b) => a + b.count, 0);
  if (total <= 0) return roundTo((bins[0]!.from + bins.at(-1)!.to) / 2, DIGITS);
  let seen = 0;
  for (const b of bins) {
    if (seen + b.count >= q * total && b.count > 0) return roundTo(b.from + ((q * total - seen) / b.count) * (b.to - b.from), DIGITS);
    seen += b.count;
  }
  return bins.at(-1)!.to;
}
