/**
 * The Laplace mechanism (Dwork, McSherry, Nissim, Smith 2006; Dwork & Roth 2014, Def. 3.3): a
 * statistic f with L1 sensitivity Δ is released as f + Lap(Δ/ε), which is ε-differentially private.
 *
 * Randomness: node:crypto's CSPRNG (`randomBytes`, the OS generator), never Math.random. A uniform
 * u in (0, 1) is built from 53 random bits; the sample is −b·sign(u−½)·ln(1 − 2|u−½|) (inverse CDF).
 * Known limit of any floating-point Laplace sampler (Mironov, CCS 2012): the low-order bits of a
 * double can leak; released values are rounded to a grid (`roundTo`) which removes most of that
 * signal, but this is not the snapping mechanism's formal guarantee.
 *
 * Hand-written because no library in package.json samples Laplace noise from a CSPRNG.
 */
import { randomBytes } from 'node:crypto';

/** A uniform double in the open interval (0, 1) from 53 CSPRNG bits. */
function uniformOpen(): number {
  for (;;) {
    const bits = randomBytes(8).readBigUInt64BE() >> 11n;
    if (bits !== 0n) return Number(bits) / 2 ** 53;
  }
}

/** One sample of Lap(0, scale). */
export function laplaceNoise(scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`Laplace scale must be a positive number, not ${scale}`);
  const u = uniformOpen() - 0.5;
  return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
}

/**
 * The error bound that holds with probability 1 − β for `count` independent Laplace(scale) samples
 * at once: P(|X| > t) = e^{−t/b}, so by the union bound t = b·ln(count/β).
 */
export function laplaceBound(scale: number, beta: number, count = 1): number {
  return scale * Math.log(count / beta);
}

/** Rounds a released value to `digits` decimals (the grid released values live on). */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
