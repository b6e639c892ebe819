/**
 * The catalogue of approved computations, each an ε-differentially-private release of one aggregate
 * over a cohort with one value (or one pair) per patient. Privacy unit: one patient. Neighbouring
 * cohorts: the same participants, one patient's values changed ("bounded" DP, Dwork & Roth 2014 §2.3)
 * — the cohort size is public anyway (opt-ins are on chain and each run records its size), so it is
 * released exactly and used in the sensitivities. Values are clamped to the declared bounds first,
 * which is what makes the sensitivities finite:
 *
 *   count       patients with the code                    Δ = 1                       Lap(1/ε)
 *   mean        mean of clamped values in [L, U]          Δ = (U − L)/n               Lap((U − L)/(nε))
 *   histogram   k equal bins over [L, U]                  Δ = 2 (one patient moves     Lap(2/ε) per bin
 *                                                          one unit between two bins)
 *   quantiles   25/50/75 % read off the noisy histogram   post-processing of the histogram (no extra ε)
 *   regression  least squares y = a + b·x from the noisy  ε/4 on each of Σx, Σy, Σx², Σxy with
 *               sums (n exact)                            Δ = U−L, Uy−Ly, max x² − min x², max xy − min xy
 *
 * Only these aggregates leave; never a row.
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
const DIGITS = 4;

export interface NoiseReport {
  mechanism: 'laplace';
  epsilon: number;
  sensitivity: number;
  scale: number;
  /** |released − exact| ≤ errorBound with probability 1 − beta (for every bin at once for histograms). */
  errorBound?: number;
  beta: number;
}

export type Released =
  | { kind: 'Count'; count: number }
  | { kind: 'Mean'; mean: number }
  | { kind: 'Histogram'; bins: Array<{ from: number; to: number; count: number }> }
  | { kind: 'Quantiles'; quantiles: { p25: number; p50: number; p75: number }; bins: Array<{ from: number; to: number; count: number }> }
  | { kind: 'LinearRegression'; slope: number; intercept: number };

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

/** The exact (un-noised) aggregates — internal to the service and to tests; never released. */
export function exactAggregate(c: DeclaredComputation, cohort: PatientInput[]) {
  const xs = cohort.map((p) => clamp(p.x ?? 0, c.lower, c.upper));
  const counts = Array.from({ length: c.bins }, () => 0);
  if (c.bins > 0) for (const x of xs) counts[binOf(x, c)]!++;
  return {
    count: cohort.filter((p) => p.present).length,
    mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length),
    counts,
  };
}

/** Releases one computation over `cohort` (already filtered with `includedIn`) with privacy budget `epsilon`. */
export function releaseComputation(c: DeclaredComputation, cohort: PatientInput[], epsilon: number): { result: Released; noise: NoiseReport } {
  if (!(epsilon > 0)) throw new RangeError('epsilon must be positive');
  const n = cohort.length;
  const exact = exactAggregate(c, cohort);
  const report = (sensitivity: number, count = 1, bounded = true): NoiseReport => {
    const scale = sensitivity / epsilon;
    return { mechanism: 'laplace', epsilon, sensitivity, scale, errorBound: bounded ? roundTo(laplaceBound(scale, STATED_BETA, count), DIGITS) : undefined, beta: STATED_BETA };
  };
  const binEdges = (i: number) => ({ from: roundTo(c.lower + (i * (c.upper - c.lower)) / c.bins, DIGITS), to: roundTo(c.lower + ((i + 1) * (c.upper - c.lower)) / c.bins, DIGITS) });
  const noisyHistogram = (scale: number) => exact.counts.map((k, i) => ({ ...binEdges(i), count: roundTo(Math.max(0, k + laplaceNoise(scale)), DIGITS) }));

  switch (c.kind) {
    case 'Count': {
      const noise = report(1);
      return { result: { kind: 'Count', count: roundTo(clamp(exact.count + laplaceNoise(noise.scale), 0, n), DIGITS) }, noise };
    }
    case 'Mean': {
      const noise = report((c.upper - c.lower) / n);
      return { result: { kind: 'Mean', mean: roundTo(exact.mean + laplaceNoise(noise.scale), DIGITS) }, noise };
    }
    case 'Histogram': {
      const noise = report(2, c.bins);
      return { result: { kind: 'Histogram', bins: noisyHistogram(noise.scale) }, noise };
    }
    case 'Quantiles': {
      const noise = report(2, c.bins, false);
      const bins = noisyHistogram(noise.scale);
      return { result: { kind: 'Quantiles', bins, quantiles: { p25: quantileOf(bins, 0.25), p50: quantileOf(bins, 0.5), p75: quantileOf(bins, 0.75) } }, noise };
    }
    case 'LinearRegression': {
      // ε split evenly over the four sums (sequential composition, Dwork & Roth Thm 3.14).
      const e4 = epsilon / 4;
      const xs = cohort.map((p) => clamp(p.x!, c.lower, c.upper));
      const ys = cohort.map((p) => clamp(p.y!, c.lowerY, c.upperY));
      const range = (f: (x: number, y: number) => number) => {
        const corners = [f(c.lower, c.lowerY), f(c.lower, c.upperY), f(c.upper, c.lowerY), f(c.upper, c.upperY), ...(c.lower < 0 && c.upper > 0 ? [0] : [])];
        return Math.max(...corners) - Math.min(...corners);
      };
      const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
      const noisy = (value: number, sensitivity: number) => value + laplaceNoise(sensitivity / e4);
      const sx = noisy(sum(xs), c.upper - c.lower);
      const sy = noisy(sum(ys), c.upperY - c.lowerY);
      const sxx = noisy(sum(xs.map((x) => x * x)), range((x) => x * x));
      const sxy = noisy(sum(xs.map((x, i) => x * ys[i]!)), range((x, y) => x * y));
      const denominator = n * sxx - sx * sx;
      const slope = denominator === 0 ? 0 : (n * sxy - sx * sy) / denominator;
      const intercept = (sy - slope * sx) / n;
      return { result: { kind: 'LinearRegression', slope: roundTo(slope, DIGITS), intercept: roundTo(intercept, DIGITS) }, noise: { ...report(c.upper - c.lower, 1, false), epsilon } };
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
