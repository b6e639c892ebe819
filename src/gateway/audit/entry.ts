import type { Address, Hex } from 'viem';

/** One access-log entry: who, whose record, which, what, why, and whether it was allowed. No PHI. */
export interface AccessLogEntry {
  actor: Address;
  patient: Address;
  recordId?: Hex;
  action: string;
  purpose: string;
  /** `failed`: allowed, but the operation itself did not complete (e.g. the chain refused the write). */
  outcome: 'allowed' | 'denied' | 'failed';
  reason: string;
}

export interface AccessLogger {
  append(entry: AccessLogEntry): Promise<unknown>;
}
