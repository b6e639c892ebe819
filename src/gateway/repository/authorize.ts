/**
 * The one place a data route asks chain state whether the caller may use a record now: decides,
 * appends the decision (allowed or denied, with its reason) to the access log, and refuses with
 * 403 when denied.
 */
import type { Address, Hex } from 'viem';
import type { AccessDecision, PinnedBlock } from '../chain/access.ts';
import type { DataRouteDeps, Session } from '../routes/types.ts';
import { fail } from '../http/errors.ts';
import { purposeLabel } from '../routes/validation.ts';

export type Allowed = AccessDecision & { allowed: true };

/** The access log's purpose for a decision: the patient's own, break-glass, or the grant's purpose (its on-chain tag decoded with the patient's key). */
async function purposeOf(deps: Pick<DataRouteDeps, 'categories'>, decision: AccessDecision, patient: Address, accessor: Address): Promise<string> {
  if (!decision.allowed) return 'unknown';
  if (decision.basis === 'patient') return 'self';
  if (decision.basis === 'break-glass') return 'emergency';
  return decision.purpose ? purposeLabel(await deps.categories.purposeOf(patient, accessor, decision.purpose)) : 'unknown';
}

export async function authorizeAndLog(
  deps: Pick<DataRouteDeps, 'access' | 'audit' | 'categories'>, s: Session, record: { patient: Address; category: Hex }, recordId: Hex, permission: number, action: string,
  at?: PinnedBlock,
): Promise<Allowed> {
  const decision = await deps.access.authorizeRecord({ patient: record.patient, accessor: s.address, category: record.category, recordId, permission }, at);
  const purpose = await purposeOf(deps, decision, record.patient, s.address);
  await deps.audit.append({
    actor: s.address, patient: record.patient, recordId, action, purpose,
    outcome: decision.allowed ? 'allowed' : 'denied', reason: decision.allowed ? decision.basis : decision.reason,
  });
  if (!decision.allowed) fail(403, `access denied: ${decision.reason}`, { reason: decision.reason });
  return decision as Allowed;
}

/**
 * A denial decided outside authorizeAndLog (a FHIR Bundle entry checked before any write; the
 * records a listing or search leaves out), logged the same way: who, whose, what, why not.
 */
export async function logDenial(
  deps: Pick<DataRouteDeps, 'audit'>, s: Session, patient: Address, recordId: Hex | undefined, action: string, reason: string,
): Promise<void> {
  await deps.audit.append({ actor: s.address, patient, recordId, action, purpose: 'unknown', outcome: 'denied', reason });
}

/**
 * For a write: decides like authorizeAndLog (a denial is logged and refused at once), runs `work`,
 * and logs the decision with the write's real outcome — `failed` (with the error's class, never its
 * message: it may carry ids) when the write did not complete. A failed create is not a success.
 */
export async function authorizeWriteAndLog<T>(
  deps: Pick<DataRouteDeps, 'access' | 'audit' | 'categories'>, s: Session, record: { patient: Address; category: Hex }, recordId: Hex, permission: number, action: string,
  work: () => Promise<T>,
): Promise<T> {
  const decision = await deps.access.authorizeRecord({ patient: record.patient, accessor: s.address, category: record.category, recordId, permission });
  const purpose = await purposeOf(deps, decision, record.patient, s.address);
  const log = (outcome: 'allowed' | 'denied' | 'failed', reason: string) => deps.audit.append({ actor: s.address, patient: record.patient, recordId, action, purpose, outcome, reason });
  if (!decision.allowed) {
    await log('denied', decision.reason);
    fail(403, `access denied: ${decision.reason}`, { reason: decision.reason });
  }
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const status = (error as { status?: number }).status;
    await log('failed', `${decision.basis}; ${status ? `refused ${status}` : (error as Error).name || 'error'}`);
    throw error;
  }
  await log('allowed', decision.basis);
  return result;
}

/** What a caller is told about their access: on what basis, and until when. */
export function accessView(decision: Allowed) {
  return { basis: decision.basis, until: decision.until === undefined ? null : Number(decision.until), grantId: decision.grantId === undefined ? null : Number(decision.grantId) };
}
