/**
 * The FHIR R4 resource types a MedChain record may carry. A record's on-chain category is the
 * keccak256 of its type (contracts.ts recordCategory), so a grant scoped to a category nobody writes
 * would silently match nothing: the CLI refuses such scopes, and records of other types, with this list.
 */
import type { Hex } from 'viem';
import { recordCategory } from './contracts.ts';

export const RECORD_TYPES = [
  'Patient', 'Observation', 'Condition', 'DiagnosticReport', 'MedicationRequest', 'AllergyIntolerance', 'Immunization',
  'DocumentReference', 'Binary', 'Procedure', 'Encounter', 'CarePlan',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const isRecordType = (t: string): t is RecordType => (RECORD_TYPES as readonly string[]).includes(t);

const typeOfCategory = new Map<string, RecordType>(RECORD_TYPES.map((t) => [recordCategory(t).toLowerCase(), t]));

/** The resource type a category hash was made from, or undefined for a category outside the list. */
export const recordTypeOf = (category: Hex): RecordType | undefined => typeOfCategory.get(category.toLowerCase());
