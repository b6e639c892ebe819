/**
 * FHIR R4 resources the record forms produce, built by hand from the few fields the forms collect
 * (the full FHIR type set would add a large dependency for five shapes); each builder names the
 * FHIR R4 resource section it follows. The export Bundle is the SDK's (src/sdk/actions/exportRecords.ts).
 */
export const RECORD_TYPES = ['Observation', 'Condition', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Binary'] as const;
export type RecordType = typeof RECORD_TYPES[number];

export interface RecordFields {
  type: RecordType;
  /** Code text (LOINC / SNOMED display text or code) */
  code: string;
  /** Observation value, medication dosage, allergy reaction, vaccine lot… */
  detail: string;
  unit?: string;
  date: string;
  note?: string;
  attachment?: { contentType: string; data: string; title: string };
}

const codeable = (text: string) => ({ text });

/** One FHIR R4 resource for the form's fields, referencing the patient by their account address. */
export function buildResource(fields: RecordFields, patient: string): Record<string, unknown> {
  const subject = { reference: `Patient/${patient.toLowerCase()}` };
  const note = fields.note ? [{ text: fields.note }] : undefined;
  switch (fields.type) {
    case 'Observation': { // FHIR R4 §Observation: status, code, subject, effective[x], value[x]
      const value = Number(fields.detail);
      return { resourceType: 'Observation', status: 'final', code: codeable(fields.code), subject, effectiveDateTime: fields.date,
        ...(fields.detail !== '' && Number.isFinite(value) ? { valueQuantity: { value, unit: fields.unit || undefined } } : { valueString: fields.detail }), note };
    }
    case 'Condition': // §Condition: clinicalStatus, code, subject, onset[x]
      return { resourceType: 'Condition', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: codeable(fields.code), subject, onsetDateTime: fields.date, note: fields.detail ? [{ text: fields.detail }, ...(note ?? [])] : note };
    case 'MedicationRequest': // §MedicationRequest: status, intent, medication[x], subject, dosageInstruction
      return { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: codeable(fields.code), subject,
        authoredOn: fields.date, dosageInstruction: fields.detail ? [{ text: fields.detail }] : undefined, note };
    case 'AllergyIntolerance': // §AllergyIntolerance: code, patient, reaction.manifestation
      return { resourceType: 'AllergyIntolerance', code: codeable(fields.code), patient: subject, recordedDate: fields.date,
        reaction: fields.detail ? [{ manifestation: [codeable(fields.detail)] }] : undefined, note };
    case 'Immunization': // §Immunization: status, vaccineCode, patient, occurrence[x], lotNumber
      return { resourceType: 'Immunization', status: 'completed', vaccineCode: codeable(fields.code), patient: subject, occurrenceDateTime: fields.date,
        lotNumber: fields.detail || undefined, note };
    case 'Binary': // §Binary: contentType, data (base64); the title travels in the security context-free meta tag
      if (!fields.attachment) throw new Error('choose a file to attach');
      return { resourceType: 'Binary', contentType: fields.attachment.contentType, data: fields.attachment.data, meta: { tag: [{ display: fields.attachment.title }] } };
  }
}

/** Checks what the forms cannot: a code and a valid date; throws a message the user can act on. */
export function validateFields(fields: RecordFields): void {
  if (fields.type !== 'Binary' && fields.code.trim() === '') throw new Error('enter what was recorded (code or name)');
  if (fields.type !== 'Binary' && Number.isNaN(Date.parse(fields.date))) throw new Error('enter a valid date');
  if (fields.type === 'Observation' && fields.detail.trim() === '') throw new Error('enter the observed value');
}

export function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(new Error('could not read the file'));
    reader.readAsDataURL(file);
  });
}

/** A one-line summary of a resource for lists. */
export function summary(resource: Record<string, unknown>): string {
  const text = (v: unknown) => (v as { text?: string } | undefined)?.text;
  switch (resource.resourceType) {
    case 'Observation': {
      const q = resource.valueQuantity as { value?: number; unit?: string } | undefined;
      return `${text(resource.code)}: ${q ? `${q.value}${q.unit ? ` ${q.unit}` : ''}` : String(resource.valueString ?? '')}`;
    }
    case 'Condition': return `${text(resource.code)}`;
    case 'MedicationRequest': return `${text(resource.medicationCodeableConcept)}${(resource.dosageInstruction as Array<{ text: string }> | undefined)?.[0] ? ` — ${(resource.dosageInstruction as Array<{ text: string }>)[0]!.text}` : ''}`;
    case 'AllergyIntolerance': return `${text(resource.code)}`;
    case 'Immunization': return `${text(resource.vaccineCode)}`;
    case 'Binary': return `Attachment ${(resource.meta as { tag?: Array<{ display?: string }> } | undefined)?.tag?.[0]?.display ?? ''} (${String(resource.contentType)})`;
    default: return String(resource.resourceType);
  }
}
