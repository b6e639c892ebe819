/** A grant's state by the browser's clock (the timeline, the windows chart and the care lists agree on it). */
import { GrantState } from '../../../src/sdk/contracts.ts';

/** What `stateAt` needs of a grant row. */
export interface GrantTimes { state: number; validFrom: number; validUntil: number }

/**
 * The grant's state now, by this browser's clock: the chain's `grantState` is evaluated at the
 * latest block's time, which lags on a quiet chain (blocks are sealed only when there is work), so
 * a window that has closed would otherwise stay "active" on screen until the next block.
 */
export function stateAt(g: GrantTimes, now: number): number {
  if (g.state === GrantState.Revoked) return g.state;
  if (now >= g.validUntil) return GrantState.Expired;
  if (g.state === GrantState.Upcoming && now >= g.validFrom) return GrantState.Active;
  return g.state;
}

