/**
 * The node's one clock: block timestamps come from the wall clock plus an offset that dev-mode time
 * control moves (`evm_increaseTime`), or from an exact next timestamp (`evm_setNextBlockTimestamp`,
 * later blocks continuing from it, as in Hardhat). Always after the parent block's timestamp.
 */
export class ChainClock {
  private offset = 0;
  private next: bigint | undefined;

  constructor(private readonly wallSeconds: () => number = () => Math.floor(Date.now() / 1000)) {}

  /** Seconds the chain's time is ahead of the wall clock. */
  get offsetSeconds(): number { return this.offset; }

  /** Moves the chain's time forward (dev mode); returns the total offset. */
  increase(seconds: number): number {
    this.offset += seconds;
    return this.offset;
  }

  /** The next block gets exactly `timestamp`; later ones continue from it. */
  setNextTimestamp(timestamp: bigint): void {
    this.next = timestamp;
    this.offset = Number(timestamp) - this.wallSeconds();
  }

  /** The timestamp of a block sealed now on top of a parent with `parentTimestamp`. */
  nextBlockTimestamp(parentTimestamp: bigint): bigint {
    if (this.next !== undefined) return this.next;
    const now = BigInt(this.wallSeconds() + this.offset);
    return now > parentTimestamp ? now : parentTimestamp + 1n;
  }

  /** A block was sealed at the next timestamp: it is used up. */
  consumed(): void { this.next = undefined; }
}
