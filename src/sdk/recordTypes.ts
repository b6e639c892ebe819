/**
 * The FHIR R4 resource types a MedChain record may carry. A record's on-chain category is the
 * patient's blinded category of its type (crypto/categoryKey.ts, computed by the gateway), or for
 * records written before blinding the public keccak256 of the type (contracts.ts recordCategory).
 * A grant scoped to a category nobody writes would silently match nothing: the CLI refuses such
 * scopes, and records of other types, with this list.
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

/**
 * The resource type a legacy (public keccak256) category was made from, or undefined — always for
 * blinded categories, which only the gateway and key holders map back (listings carry `type`).
 */
export const recordTypeOf = (category: Hex): RecordType | undefined => typeOfCategory.get(category.toLowerCase());
