/**
 * The access log in plain language: "Dr. Ada Grey read your HbA1c (Observation) for treatment —
 * allowed", "You shared …". One open of a record writes several log entries (its metadata, the
 * ciphertext, the key envelope) within a second or two; they are shown as one event.
 */
import type { LogEntry } from '../../src/sdk/auditProof.ts';

export interface AuditEvent { entries: LogEntry[]; first: LogEntry }

const READS = new Set(['read', 'read-key', 'read-metadata']);

/** Consecutive reads of one record by one actor with one outcome, within 60 s, become one event. */
export function groupAudit(entries: LogEntry[]): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    const last = out[out.length - 1];
    const l = last?.entries[last.entries.length - 1];
    if (l && READS.has(e.action) && READS.has(l.action) && l.actor === e.actor && l.recordId === e.recordId && l.outcome === e.outcome && e.time - l.time <= 60) last!.entries.push(e);
    else out.push({ entries: [e], first: e });
  }
  return out.reverse();
}

/** The verb phrase for an event, as the patient reads it. */
export function auditVerb(event: AuditEvent, record: string): string {
  const action = event.entries.some((e) => e.action === 'escrow-release') ? 'escrow-release' : event.first.action;
  switch (action) {
    case 'read': case 'read-key': case 'read-metadata': return `read ${record}`;
    case 'escrow-release': return `opened ${record} with emergency (break-glass) access`;
    case 'write': return `added or updated ${record}`;
    case 'list': return 'looked at the list of your records';
    case 'search': return 'searched your records';
    case 'share': return `shared ${record}`;
    case 'erase': return `erased ${record}`;
    case 'study-run': {
      // Reason written by the compute service: "study <id> run <n>: <Kind> of code … over <n> participants, epsilon …".
      const m = /^study (\d+) run (\d+): (\w+) of code \S+ over (\d+) participants/.exec(event.first.reason);
      const kind = m ? ({ Count: 'count', Mean: 'mean', Histogram: 'histogram', Quantiles: 'quantiles', LinearRegression: 'regression' } as Record<string, string>)[m[3]!] ?? m[3]! : '';
      return m ? `included your values in study ${m[1]}'s ${kind} (run ${m[2]}, ${m[4]} participants, only the noised aggregate left the hospital)` : 'included your values in a study computation';
    }
    default: return `${action.replace(/-/g, ' ')} ${record}`;
  }
}

const PURPOSE: Record<string, string> = {
  treatment: 'for treatment', research: 'for research', emergency: 'in an emergency', insurance: 'for insurance', billing: 'for billing', other: 'for another purpose',
};
/** "for treatment"; nothing for one's own actions, or when access was refused (no purpose applied). */
export const auditPurpose = (purpose: string) => PURPOSE[purpose] ?? '';

const DENIALS: Record<string, string> = {
  'no-grant': 'no grant covers it', expired: 'the grant had ended', revoked: 'the grant was revoked', 'not-yet-valid': 'the grant had not started',
  permission: 'the grant does not allow it', suspended: 'the provider is suspended', 'not-registered': 'the account is not registered',
};
export const denialText = (reason: string) => DENIALS[reason] ?? reason.replace(/-/g, ' ');
