/**
 * MedChain state as FHIR R4 resources: grants as Consent, access-log entries as AuditEvent.
 * Accounts are identified by their Ethereum address (system `urn:ethereum:address`), records by
 * their on-chain id (system `urn:medchain:record`); the chain's category hash maps back to the FHIR
 * resource type it was made from.
 */
import { CLINICAL_TYPES } from './resources.ts';
import type { AuditEvent, CapabilityStatement, Consent, Reference, Resource } from '@medplum/fhirtypes';
import { recordCategory } from '../../sdk/contracts.ts';
import type { LogEntry } from '../audit/merkle.ts';

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
    const type = typeOfCategory.get(g.scope.value.toLowerCase());
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
    patient: account(g.patient),
    dateTime: iso(g.validFrom),
    performer: [account(g.patient)],
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}

const actionCode: Record<string, AuditEvent['action']> = { read: 'R', 'read-key': 'R', 'read-metadata': 'R', list: 'R', write: 'C', share: 'U', erase: 'D' };

/** An access-log entry as a FHIR AuditEvent. */
export function auditEventFromEntry(e: LogEntry): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: `log-${e.seq}`,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    action: actionCode[e.action] ?? 'E',
    recorded: iso(e.time),
    outcome: e.outcome === 'allowed' ? '0' : '4',
    outcomeDesc: `${e.action}: ${e.reason}`,
    purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: purposeCode[e.purpose] ?? 'HOPERAT' }] }],
    agent: [{ who: account(e.actor), requestor: true }],
    source: { observer: { display: 'MedChain gateway' } },
    entity: [
      { what: account(e.patient), role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' } },
      ...(e.recordId ? [{ what: { identifier: { system: RECORD_SYSTEM, value: e.recordId } }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '4', display: 'Domain Resource' } }] : []),
    ],
  };
}

/** What this gateway's FHIR endpoint does today — and nothing more. */
export function capabilityStatement(baseUrl: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'MedChain gateway' },
    implementation: { description: 'MedChain gateway FHIR endpoint', url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{
      mode: 'server',
      security: { description: 'Sign-In with Ethereum (EIP-4361); bearer session token from /auth/verify. Clinical resources are encrypted end to end; /fhir encrypts and decrypts only for accounts whose keys this hospital holds.' },
      interaction: [{ code: 'transaction' }, { code: 'batch' }],
      resource: [
        ...CLINICAL_TYPES.map((type) => ({
          type,
          versioning: 'versioned' as const,
          readHistory: true,
          updateCreate: false,
          conditionalUpdate: false,
          interaction: (['read', 'vread', 'create', 'update', 'history-instance', 'search-type'] as const).map((code) => ({ code })),
          searchParam: [
            { name: 'patient', type: 'reference' as const }, { name: 'code', type: 'token' as const, documentation: 'system|code matched through blind indexes' },
            { name: 'date', type: 'date' as const }, { name: '_count', type: 'number' as const },
          ],
          ...(type === 'Patient' ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] } : {}),
        })),
        { type: 'Provenance', interaction: [{ code: 'search-type' }], searchParam: [{ name: 'target', type: 'reference' }] },
        { type: 'Consent', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: [{ name: 'patient', type: 'reference' }, { name: 'actor', type: 'reference' }] },
        { type: 'AuditEvent', interaction: [{ code: 'search-type' }], searchParam: [{ name: 'patient', type: 'reference' }] },
      ],
    }],
  };
}
