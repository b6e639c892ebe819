/**
 * Synthetic FHIR R4 resources for one demo patient, drawn with @faker-js/faker from the coded
 * vocabulary in vocabulary.ts: a Patient resource (name, birth date, address — synthetic), a few
 * Conditions, vital signs and lab Observations, MedicationRequests, maybe an AllergyIntolerance and
 * an Immunization. Seeded per patient, so a demo with the same seed draws the same hospital.
 */
import { Faker, en } from '@faker-js/faker';
import { ALLERGIES, CONDITIONS, CVX, LOINC, MEDICATIONS, OBSERVATIONS, RXNORM, SNOMED, UCUM, VACCINES } from './vocabulary.ts';

export interface SyntheticResource { resourceType: string; resource: Record<string, unknown> }

const coding = (system: string, code: string, display: string) => ({ coding: [{ system, code, display }], text: display });

/** The demo patient's resources (the first is their Patient resource). */
export function syntheticRecords(patient: string, seed: number, count: { min: number; max: number } = { min: 3, max: 6 }): SyntheticResource[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const subject = { reference: `Patient/${patient.toLowerCase()}` };
  const sex = faker.helpers.arrayElement(['female', 'male'] as const);
  const birth = faker.date.birthdate({ mode: 'age', min: 18, max: 90 });
  const day = () => faker.date.between({ from: new Date(Date.now() - 3 * 365 * 86400_000), to: new Date() }).toISOString().slice(0, 10);
  const out: SyntheticResource[] = [{
    resourceType: 'Patient',
    resource: {
      resourceType: 'Patient', identifier: [{ system: 'urn:ethereum:address', value: patient.toLowerCase() }], active: true,
      name: [{ family: faker.person.lastName(sex), given: [faker.person.firstName(sex)] }], gender: sex, birthDate: birth.toISOString().slice(0, 10),
      address: [{ line: [faker.location.streetAddress()], city: faker.location.city(), postalCode: faker.location.zipCode(), country: 'US' }],
      telecom: [{ system: 'phone', value: faker.phone.number({ style: 'national' }) }],
    },
  }];
  const n = faker.number.int(count);
  for (let i = 0; i < n; i++) {
    const kind = i === 0 ? 'Condition' : faker.helpers.weightedArrayElement([
      { weight: 5, value: 'Observation' }, { weight: 2, value: 'MedicationRequest' }, { weight: 1, value: 'Condition' },
      { weight: 1, value: 'AllergyIntolerance' }, { weight: 1, value: 'Immunization' },
    ] as const);
    out.push({ resourceType: kind, resource: resourceOf(kind) });
  }
  return out;

  function resourceOf(kind: string): Record<string, unknown> {
    switch (kind) {
      case 'Observation': { // R4 §Observation
        const o = faker.helpers.arrayElement(OBSERVATIONS);
        const value = Number(faker.number.float({ min: o.min, max: o.max }).toFixed(o.decimals));
        return {
          resourceType: 'Observation', status: 'final',
          category: [coding('http://terminology.hl7.org/CodeSystem/observation-category', o.category, o.category === 'laboratory' ? 'Laboratory' : 'Vital Signs')],
          code: coding(LOINC, o.code, o.display), subject, effectiveDateTime: `${day()}T${String(faker.number.int({ min: 7, max: 18 })).padStart(2, '0')}:00:00Z`,
          valueQuantity: { value, unit: o.unit, system: UCUM, code: o.unit },
        };
      }
      case 'Condition': { // R4 §Condition
        const c = faker.helpers.arrayElement(CONDITIONS);
        return {
          resourceType: 'Condition', clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active', 'Active'),
          verificationStatus: coding('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
          code: coding(SNOMED, c.code, c.display), subject, onsetDateTime: day(),
        };
      }
      case 'MedicationRequest': { // R4 §MedicationRequest
        const m = faker.helpers.arrayElement(MEDICATIONS);
        return { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, m.code, m.display), subject, authoredOn: day(), dosageInstruction: [{ text: m.dosage }] };
      }
      case 'AllergyIntolerance': { // R4 §AllergyIntolerance
        const a = faker.helpers.arrayElement(ALLERGIES);
        return {
          resourceType: 'AllergyIntolerance', clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active'),
          code: coding(SNOMED, a.code, a.display), patient: subject, recordedDate: day(), reaction: [{ manifestation: [{ text: a.reaction }] }],
        };
      }
      default: { // R4 §Immunization
        const v = faker.helpers.arrayElement(VACCINES);
        return { resourceType: 'Immunization', status: 'completed', vaccineCode: coding(CVX, v.code, v.display), patient: subject, occurrenceDateTime: day(), lotNumber: faker.string.alphanumeric({ length: 8, casing: 'upper' }) };
      }
    }
  }
}
