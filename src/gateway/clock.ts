/**
 * The gateway's one clock. Every time the gateway judges by — consent windows, Sign-In with
 * Ethereum nonce and session expiry, access-log times, envelope, upload and replica ages, peer
 * request timestamps — comes from the Clock that server.ts builds once and passes down, so a test
 * moves one clock instead of patching Date.now, and no module reads the time on its own.
 *
 * One reading, in milliseconds (EIP-4361 times carry them); `seconds()` and `chainSeconds()` are
 * the same reading in the units SQL rows (number) and the contracts (bigint, like block.timestamp)
 * use, floored to the whole second as the contracts count it.
 */
export interface Clock {
  /** Unix time in milliseconds. */
  ms(): number;
  /** Whole unix seconds: stored expiries and log times. */
  seconds(): number;
  /** Whole unix seconds as chain time (bigint, the unit of block timestamps and grant windows). */
  chainSeconds(): bigint;
}

/** A Clock from a millisecond reading. */
export function clockFrom(readMs: () => number): Clock {
  const seconds = () => Math.floor(readMs() / 1000);
  return { ms: readMs, seconds, chainSeconds: () => BigInt(seconds()) };
}

/** The host's wall clock: the one place the gateway reads the time. */
export const systemClock: Clock = clockFrom(() => Date.now());

/** A clock at `seconds()` unix seconds, read on every call (a fixed or hand-moved time in tests). */
export const clockAtSeconds = (seconds: () => number | bigint): Clock => clockFrom(() => Number(seconds()) * 1000);
