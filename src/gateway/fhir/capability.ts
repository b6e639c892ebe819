/**
 * The CapabilityStatement at /fhir/metadata, generated from the tables the router uses
 * (searchParams.ts, the clinical types, the interactions below), so it declares exactly what
 * works: nothing more, nothing less (http://hl7.org/fhir/R4/capabilitystatement.html).
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { CLINICAL_TYPES } from './resources.ts';
import { CLINICAL_SEARCH, OTHER_SEARCH, type SearchParam } from './searchParams.ts';

type Interaction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];
const CLINICAL_INTERACTIONS: Interaction[] = ['read', 'vread', 'create', 'update', 'history-instance'];

const declared = (params: SearchParam[]) => params.map(({ name, type, definition, documentation }) => ({ name, type, definition, documentation }));

/** The CapabilityStatement (FHIR R4 §2.37), dated `nowMs` by the gateway's clock. */
export function capabilityStatement(baseUrl: string, nowMs: number): CapabilityStatement {
  const clinical: CapabilityStatementRestResource[] = CLINICAL_TYPES.map((type) => {
    const search = CLINICAL_SEARCH[type];
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: false,
      conditionalCreate: false,
      conditionalRead: 'not-supported',
      conditionalUpdate: false,
      conditionalDelete: 'not-supported',
      interaction: [...CLINICAL_INTERACTIONS, ...(search.length > 0 ? ['search-type' as const] : [])].map((code) => ({ code })),
      ...(search.length > 0 ? { searchParam: declared(search) } : {}),
      ...(type === 'Patient' ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] } : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date(nowMs).toISOString(),
    kind: 'instance',
    software: { name: 'MedChain gateway' },
    implementation: { description: 'MedChain gateway FHIR endpoint', url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{
      mode: 'server',
      security: {
        service: [{ text: 'Sign-In with Ethereum (EIP-4361), then a bearer session token (RFC 6750)' }],
        description: 'Sign-In with Ethereum (EIP-4361); a bearer session token from POST /auth/verify (RFC 6750). Clinical resources are encrypted end to end; /fhir encrypts and decrypts only for accounts whose keys this hospital holds. A Patient\'s id is its account address.',
      },
      interaction: [{ code: 'transaction' }, { code: 'batch' }],
      resource: [
        ...clinical,
        { type: 'Provenance', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: declared(OTHER_SEARCH.Provenance) },
        { type: 'Consent', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: declared(OTHER_SEARCH.Consent) },
        { type: 'AuditEvent', interaction: [{ code: 'read' }, { code: 'search-type' }], searchParam: declared(OTHER_SEARCH.AuditEvent) },
      ],
    }],
  };
}
