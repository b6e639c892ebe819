/**
 * MedChain state as FHIR R4 resources: grants as Consent, access-log entries as AuditEvent.
 * Accounts are identified by their Ethereum address (system `urn:ethereum:address`), records by
 * their on-chain id (system `urn:medchain:record`); the chain's category hash maps back to the FHIR
 * resource type it was made from.
 */
import type { AuditEvent, Consent, Reference, Resource } from '@medplum/fhirtypes';
import { recordCategory } from '../../sdk/contracts.ts';
import type { LogEntry } from '../../sdk/auditProof.ts';

export const ADDRESS_SYSTEM = 'urn:ethereum:address';
export const RECORD_SYSTEM = 'urn:medchain:record';
export const GRANT_STATE_SYSTEM = 'urn:medchain:grant-state';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** The resource types MedChain records carry (their keccak256 is the on-chain category). */
export const RECORD_TYPES = ['Patient', 'Observation', 'Condition', 'DiagnosticReport', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'DocumentReference', 'Binary'] as const;
const typeOfCategory = new Map(RECORD_TYPES.map((t) => [recordCategory(t).toLowerCase(), t]));

const purposeCode: Record<string, string> = { treatment: 'TREAT', research: 'HRESCH', emergency: 'ETREAT', insurance: 'HPAYMT', other: 'HOPERAT', self: 'PATRQT' };

// A logical reference by identifier: the account is known by its address, not by a FHIR resource on this server.
export const account = <T extends Resource = never>(address: string): Reference<T> => ({ identifier: { system: ADDRESS_SYSTEM, value: address.toLowerCase() } });
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export interface GrantLike {
  grantId: number; patient: string; grantee: string; scope: { kind: string; value: string }; read: boolean; write: boolean;
  purpose: string; validFrom: number; validUntil: number; state: string;
  /** When the patient gave the consent: the timestamp of the block that recorded the grant. */
  grantedAt: number;
  /** The record type a category scope stands for, when the gateway holds the patient's category key (categoryKeys.ts). */
  scopeType?: string;
}

/** A grant as a FHIR Consent: permit, for the grantee, over the scope, within the window. */
export function consentFromGrant(g: GrantLike): Consent {
  const provision: NonNullable<Consent['provision']> = {
    type: 'permit',
    period: { start: iso(g.validFrom), end: iso(g.validUntil) },
    actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] }, reference: account(g.grantee) }],
    action: [
      ...(g.read ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }] : []),
      ...(g.write ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'correct' }] }] : []),
    ],
    purpose: [{ system: ACT_REASON, code: purposeCode[g.purpose] ?? 'HOPERAT' }],
  };
  if (g.scope.kind === 'category') {
    const type = g.scopeType ?? typeOfCategory.get(g.scope.value.toLowerCase());
    provision.class = [type ? { system: 'http://hl7.org/fhir/resource-types', code: type } : { system: 'urn:medchain:category', code: g.scope.value }];
  } else if (g.scope.kind === 'record') {
    provision.data = [{ meaning: 'instance', reference: { identifier: { system: RECORD_SYSTEM, value: g.scope.value } } }];
  }
  return {
    resourceType: 'Consent',
    id: `grant-${g.grantId}`,
    meta: { tag: [{ system: GRANT_STATE_SYSTEM, code: g.state }] },
    status: g.state === 'active' || g.state === 'upcoming' ? 'active' : 'inactive',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${g.patient.toLowerCase()}` },
    dateTime: iso(g.grantedAt),
    performer: [{ reference: `Patient/${g.patient.toLowerCase()}` }],
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}

/**
 * An access-log entry as an AuditEvent following IHE Basic Audit Log Patterns (BALP, RESTful
 * interactions): type `rest` with the restful interaction as subtype, the DICOM action codes
 * (C create, R read/vread/history, U update, D delete, E search and operations), the user, client
 * and server agents, the gateway as Application Server source, and the patient and the record as
 * entities by FHIR reference. Break-glass adds the DICOM "Emergency Override Started" subtype. The
 * outcome is the operation's real one: 0 success, 4 denied, 8 failed after being allowed.
 */
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const interactionOf: Record<string, { code: string; action: NonNullable<AuditEvent['action']> }> = {
  create: { code: 'create', action: 'C' }, write: { code: 'create', action: 'C' }, update: { code: 'update', action: 'U' }, share: { code: 'update', action: 'U' },
  read: { code: 'read', action: 'R' }, 'read-key': { code: 'read', action: 'R' }, 'read-metadata': { code: 'read', action: 'R' }, 'escrow-release': { code: 'read', action: 'R' },
  vread: { code: 'vread', action: 'R' }, history: { code: 'history-instance', action: 'R' }, provenance: { code: 'search-type', action: 'E' },
  search: { code: 'search-type', action: 'E' }, list: { code: 'search-type', action: 'E' }, erase: { code: 'delete', action: 'D' },
};
const writes = new Set(['C', 'U', 'D']);

export interface AuditContext {
  /** The FHIR type of the entry's record, when it has one the gateway knows. */
  recordType?: string;
  /** The record's FHIR id (the patient's address for a Patient). */
  recordFhirId?: string;
  /** The gateway's public URL: the server agent's network address. */
  serverUrl: string;
}

export function auditEventFromEntry(e: LogEntry, ctx: AuditContext): AuditEvent {
  const interaction = interactionOf[e.action] ?? { code: 'operation', action: 'E' as const };
  const emergency = e.purpose === 'emergency' || e.reason.startsWith('break-glass');
  const server = new URL(ctx.serverUrl || 'http://localhost');
  const isIp = /^[\d.]+$|^\[?[0-9a-f:]+\]?$/i.test(server.hostname);
  const entity: NonNullable<AuditEvent['entity']> = [{
    what: { reference: `Patient/${e.patient.toLowerCase()}` },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  }];
  if (e.recordId) {
    entity.push({
      what: ctx.recordType && ctx.recordFhirId ? { reference: `${ctx.recordType}/${ctx.recordFhirId}` } : { identifier: { system: RECORD_SYSTEM, value: e.recordId } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '4', display: 'Domain Resource' },
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: `log-${e.seq}`,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [
      { system: 'http://hl7.org/fhir/restful-interaction', code: interaction.code },
      ...(emergency ? [{ system: DCM, code: '110127', display: 'Emergency Override Started' }] : []),
    ],
    action: interaction.action,
    recorded: iso(e.time),
    outcome: e.outcome === 'allowed' ? '0' : e.outcome === 'denied' ? '4' : '8',
    outcomeDesc: `${e.action} ${e.outcome}: ${e.reason}`,
    purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: purposeCode[e.purpose] ?? 'HOPERAT' }] }],
    agent: [
      {
        type: { coding: [writes.has(interaction.action) ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT', display: 'author (originator)' } : { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
        who: account(e.actor), requestor: true,
      },
      { type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] }, who: account(e.actor), requestor: false },
      {
        type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] }, who: { display: 'MedChain gateway' }, requestor: false,
        network: { address: server.host, type: isIp ? '2' : '1' },
      },
    ],
    source: {
      site: server.host, observer: { display: 'MedChain gateway' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}
