/**
 * A measurement series for a few demo patients (the ones with demo logins), so the web UI's chart
 * of Observations over time has something to draw: HbA1c every three months for eighteen months,
 * drifting down under treatment. Synthetic values; LOINC 4548-4 with its UCUM unit and the usual
 * adult reference range (FHIR R4 §Observation.referenceRange).
 */
import { Faker, en } from '@faker-js/faker';
import { LOINC, UCUM } from './vocabulary.ts';
import type { SyntheticResource } from './syntheticRecords.ts';

export function hba1cSeries(patient: string, seed: number, points = 6): SyntheticResource[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  let value = faker.number.float({ min: 7.4, max: 9.2 });
  return Array.from({ length: points }, (_, i) => {
    const day = new Date(Date.now() - (points - 1 - i) * 91 * 86400_000).toISOString().slice(0, 10);
    value = Math.max(5.6, value - faker.number.float({ min: -0.1, max: 0.5 }));
    return {
      resourceType: 'Observation',
      resource: {
        resourceType: 'Observation', status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }], text: 'Laboratory' }],
        code: { coding: [{ system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }], text: 'HbA1c' },
        subject: { reference: `Patient/${patient.toLowerCase()}` }, effectiveDateTime: `${day}T09:00:00Z`,
        valueQuantity: { value: Number(value.toFixed(1)), unit: '%', system: UCUM, code: '%' },
        referenceRange: [{ low: { value: 4, unit: '%', system: UCUM, code: '%' }, high: { value: 5.6, unit: '%', system: UCUM, code: '%' }, text: '4.0–5.6 %' }],
      },
    };
  });
}
