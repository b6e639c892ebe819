/**
 * FHIR R4 validation for the gateway's /fhir API: the SDK's validator (src/sdk/validateResource.ts,
 * shared with the CLI), its refusals as a FhirError carrying the OperationOutcome (422 for an invalid
 * resource, 400 for something that is not a resource at all).
 */
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { FhirValidationError, outcomeText, validateFhirResource } from '../../sdk/validateResource.ts';

export class FhirError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409 | 422, readonly outcome: OperationOutcome) {
    super(outcomeText(outcome));
  }
}

/** Validates a FHIR R4 resource; throws FhirError (422) listing every problem by element path. */
export function validateResource<T extends Resource>(resource: unknown): T {
  try {
    return validateFhirResource<T>(resource);
  } catch (error) {
    if (error instanceof FhirValidationError) throw new FhirError(error.structural ? 400 : 422, error.outcome);
    throw error;
  }
}
