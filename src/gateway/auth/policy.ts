/**
 * Who may see what, besides record data (that is `decideAccess`, the contracts' rule): named rules
 * every route calls instead of writing its own (Medplum's access.ts keeps policy in one place too).
 * Oversight — admins and auditors — sees consent, audit and break-glass records of everyone;
 * everybody else sees what they are a party to.
 */
import type { Address } from 'viem';
import type { Session } from '../routes/types.ts';

/** Admins (the ethics/governance board) and auditors. */
export const hasOversight = (s: Session): boolean => s.role === 'admin' || s.role === 'auditor';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Is the caller one of these parties (patient, grantee, provider, actor), or oversight? */
export function isPartyOrOversight(s: Session, ...parties: Array<Address | string | undefined>): boolean {
  return hasOversight(s) || parties.some((p) => p !== undefined && same(p, s.address));
}

/** Grants, requests and emergency accesses: their patient, the provider concerned, and oversight. */
export const mayViewConsent = isPartyOrOversight;

/** An access-log entry or trail: the patient it is about, the actor who acted, and oversight. */
export const mayReadAuditAbout = isPartyOrOversight;

/** The whole access log (not one person's trail): oversight; patients list theirs through the same route. */
export const mayListAudit = (s: Session): boolean => hasOversight(s) || s.role === 'patient';

/** A break-glass reason: the patient, the provider who opened it, and oversight. */
export const mayReadBreakGlassReason = (s: Session, patient: string, provider: string): boolean => isPartyOrOversight(s, patient, provider);
