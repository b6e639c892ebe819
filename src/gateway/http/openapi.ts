/**
 * The gateway's OpenAPI 3.1 document, served at /openapi.json. Request bodies come from the same
 * zod schemas the routes validate with (zod's own JSON Schema export), so they cannot drift; a test
 * checks that every mounted route is listed here. Written as a table rather than by rewriting every
 * route with an OpenAPI router, which would churn all route modules for the same result.
 */
import { z } from 'zod';
import { verifyBody } from '../auth/siwe.ts';
import { relayExtendBody, relayGrantBody, relayRevokeBody } from '../routes/consent.ts';
import { depositReasonBody } from '../routes/breakGlassReason.ts';
import { categoriesBody, purposesBody } from '../routes/categories.ts';
import { depositEnvelopesBody, shareBody } from '../routes/records.ts';
import { admitBody, onboardPatientBody, onboardProviderBody } from '../routes/onboarding.ts';
import { publishProfileBody } from '../routes/directory.ts';
import { relayStudyConsentBody, runStudyBody, shareStudyEnvelopesBody, studyTextBody } from '../routes/studies.ts';

type Auth = 'public' | 'session';
interface Operation { method: 'get' | 'post' | 'put' | 'delete'; path: string; summary: string; auth: Auth; tag: string; body?: z.ZodType; binary?: 'request' | 'response'; fhir?: boolean }

const ops: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Readiness: 200 when the chain and the store answer, 503 with what fails', auth: 'public', tag: 'operations' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', auth: 'public', tag: 'operations' },
  { method: 'get', path: '/openapi.json', summary: 'This document', auth: 'public', tag: 'operations' },
  { method: 'post', path: '/auth/nonce', summary: 'A single-use nonce for a Sign-In with Ethereum message', auth: 'public', tag: 'auth' },
  { method: 'post', path: '/auth/verify', summary: 'Verify a signed EIP-4361 message; returns a short-lived session token and the role from chain', auth: 'public', tag: 'auth', body: verifyBody },
  { method: 'post', path: '/auth/logout', summary: 'End the session', auth: 'session', tag: 'auth' },
  { method: 'post', path: '/rpc', summary: 'Ethereum JSON-RPC to the chain (read methods and raw signed transactions); anonymous callers get chain id and height only, sessions what docs/gateway.md "Who sees the chain" allows', auth: 'public', tag: 'chain' },
  { method: 'get', path: '/api/config', summary: 'Chain id, contract addresses, break-glass escrow custodians', auth: 'public', tag: 'chain' },
  { method: 'get', path: '/api/providers', summary: 'Providers with status, contribution score and MED balance (leaderboard)', auth: 'session', tag: 'chain' },
  { method: 'get', path: '/api/validators', summary: 'Validator set and block rewards', auth: 'session', tag: 'chain' },
  { method: 'get', path: '/api/admin/actions', summary: 'Governance actions waiting for more admin approvals, with the decoded call (auditors, admins)', auth: 'session', tag: 'chain' },
  { method: 'get', path: '/api/onboarding/{address}', summary: 'What a new account signs to register: chain id, Identity address, nonce, role', auth: 'public', tag: 'onboarding' },
  { method: 'post', path: '/api/onboarding/patient', summary: "Relay a new patient's EIP-712 registration, then admit the account to the chain's allowlist", auth: 'public', tag: 'onboarding', body: onboardPatientBody },
  { method: 'post', path: '/api/onboarding/provider', summary: "Relay a provider applicant's EIP-712 application, then admit the account", auth: 'public', tag: 'onboarding', body: onboardProviderBody },
  { method: 'post', path: '/api/onboarding/admit', summary: "Admit an account already registered on chain to the chain's allowlist", auth: 'public', tag: 'onboarding', body: admitBody },
  { method: 'get', path: '/api/directory/providers', summary: 'Provider directory: search by name (q), by status, or names for addresses', auth: 'public', tag: 'directory' },
  { method: 'get', path: '/api/directory/providers/{address}', summary: "A provider's signed professional profile and whether the chain commits to it", auth: 'public', tag: 'directory' },
  { method: 'put', path: '/api/directory/providers/{address}', summary: 'Publish a professional profile signed by the provider (EIP-712)', auth: 'public', tag: 'directory', body: publishProfileBody },
  { method: 'get', path: '/api/care/patients', summary: "The caller's patients open now (live grant or break-glass), paginated", auth: 'session', tag: 'consent' },
  { method: 'get', path: '/api/care/grants', summary: "The caller's grants in one state, paginated, with counts per state", auth: 'session', tag: 'consent' },
  { method: 'get', path: '/api/explorer/blocks', summary: 'Latest blocks', auth: 'session', tag: 'explorer' },
  { method: 'get', path: '/api/explorer/tx/{hash}', summary: 'A transaction, its receipt and its decoded MedChain events', auth: 'session', tag: 'explorer' },
  { method: 'get', path: '/api/explorer/events', summary: 'Latest MedChain events (members: the events about them)', auth: 'session', tag: 'explorer' },
  { method: 'post', path: '/api/blobs', summary: 'Upload a record ciphertext; returns its CID', auth: 'session', tag: 'records', binary: 'request' },
  { method: 'post', path: '/api/records/{id}/versions/{v}/envelopes', summary: 'Deposit key envelopes, blind-index tokens and escrow shares of a registered version', auth: 'session', tag: 'records', body: depositEnvelopesBody },
  { method: 'get', path: '/api/records', summary: "A patient's records the caller may read now", auth: 'session', tag: 'records' },
  { method: 'get', path: '/api/records/{id}', summary: "A record's versions and the caller's access (basis, until)", auth: 'session', tag: 'records' },
  { method: 'get', path: '/api/records/{id}/versions/{v}/ciphertext', summary: 'The ciphertext, while the caller may read', auth: 'session', tag: 'records', binary: 'response' },
  { method: 'get', path: '/api/records/{id}/versions/{v}/envelope', summary: "The caller's key envelope, while the caller may read", auth: 'session', tag: 'records' },
  { method: 'post', path: '/api/records/{id}/versions/{v}/share', summary: 'The patient adds an envelope for a reader with a live grant', auth: 'session', tag: 'records', body: shareBody },
  { method: 'post', path: '/api/records/{id}/versions/{v}/escrow/release', summary: "Under live break-glass: this gateway's escrow shares, re-wrapped to the caller", auth: 'session', tag: 'records' },
  { method: 'get', path: '/api/records/{id}/versions/{v}/verify', summary: 'Check a plaintext hash against the chain', auth: 'session', tag: 'records' },
  { method: 'post', path: '/api/records/{id}/erase', summary: 'After erasure on chain: destroy ciphertext, envelopes and escrow shares', auth: 'session', tag: 'records' },
  { method: 'get', path: '/api/grants', summary: 'Grants by state: active, upcoming, expired, revoked', auth: 'session', tag: 'consent' },
  { method: 'post', path: '/api/grants/relay', summary: "Relay a patient's EIP-712 signed grant", auth: 'session', tag: 'consent', body: relayGrantBody },
  { method: 'post', path: '/api/grants/{id}/revoke/relay', summary: "Relay a patient's signed revocation", auth: 'session', tag: 'consent', body: relayRevokeBody },
  { method: 'post', path: '/api/grants/{id}/extend/relay', summary: "Relay a patient's signed extension", auth: 'session', tag: 'consent', body: relayExtendBody },
  { method: 'get', path: '/api/requests', summary: 'Access requests of a patient or a provider', auth: 'session', tag: 'consent' },
  { method: 'get', path: '/api/emergencies', summary: "Break-glass events on a patient's records", auth: 'session', tag: 'consent' },
  { method: 'get', path: '/api/auditors', summary: 'Current auditors and their X25519 public keys on chain (to seal break-glass reasons to)', auth: 'session', tag: 'consent' },
  { method: 'post', path: '/api/emergencies/{accessId}/reason', summary: 'The opening provider deposits the sealed break-glass reason (once)', auth: 'session', tag: 'consent', body: depositReasonBody },
  { method: 'get', path: '/api/emergencies/{accessId}/reason', summary: "A break-glass reason's ciphertext, the caller's envelope and the on-chain commitment", auth: 'session', tag: 'consent' },
  { method: 'post', path: '/api/patients/{patient}/categories', summary: "A patient's blinded on-chain categories of record types (the patient and their live grantees)", auth: 'session', tag: 'records', body: categoriesBody },
  { method: 'post', path: '/api/patients/{patient}/purposes', summary: "The on-chain purpose tags of a patient's grants to a grantee (the patient, or the grantee for itself)", auth: 'session', tag: 'consent', body: purposesBody },
  { method: 'get', path: '/api/patients/{patient}/category-key', summary: "The patient's own HPKE envelope of their category key (the patient only)", auth: 'session', tag: 'records' },
  { method: 'get', path: '/api/events', summary: "Server-sent events: the patient's consent and emergency alerts", auth: 'session', tag: 'consent' },
  { method: 'get', path: '/api/audit', summary: 'Access-log entries (a patient sees those about them)', auth: 'session', tag: 'audit' },
  { method: 'get', path: '/api/audit/periods', summary: 'Closed access-log periods with their Merkle roots and anchor transactions', auth: 'session', tag: 'audit' },
  { method: 'get', path: '/api/audit/{seq}/proof', summary: "An entry's inclusion proof against its anchored root", auth: 'session', tag: 'audit' },
  { method: 'get', path: '/api/studies/compute-service', summary: "This hospital's research compute operator and compute keys (named when registering a study)", auth: 'session', tag: 'research' },
  { method: 'get', path: '/api/studies', summary: 'Every research study: terms, status, budget', auth: 'session', tag: 'research' },
  { method: 'get', path: '/api/studies/{id}', summary: "A study's page: terms, plain-language text, budget, runs", auth: 'session', tag: 'research' },
  { method: 'put', path: '/api/studies/{id}/text', summary: "The study's researcher describes it (the title must hash to the on-chain titleHash)", auth: 'session', tag: 'research', body: studyTextBody },
  { method: 'post', path: '/api/studies/{id}/opt-in/relay', summary: "Relay a patient's EIP-712 signed opt-in", auth: 'session', tag: 'research', body: relayStudyConsentBody },
  { method: 'post', path: '/api/studies/{id}/opt-out/relay', summary: "Relay a patient's EIP-712 signed opt-out", auth: 'session', tag: 'research', body: relayStudyConsentBody },
  { method: 'post', path: '/api/studies/{id}/envelopes', summary: "A participant shares their records' data keys with the study's compute key (409 where this gateway does not hold it; 422 outside the study's categories)", auth: 'session', tag: 'research', body: shareStudyEnvelopesBody },
  { method: 'get', path: '/api/studies/{id}/participation', summary: "The caller's participation: keys shared, runs that included them, each with their own inclusion proof against the on-chain cohortHash", auth: 'session', tag: 'research' },
  { method: 'post', path: '/api/studies/{id}/runs', summary: 'Run a declared computation (its accredited researcher; ε ≥ 0.05; whole-month window): noised aggregate and noisy cohort size, no cohort list; recorded on chain and in the access log', auth: 'session', tag: 'research', body: runStudyBody },
  { method: 'get', path: '/api/studies/{id}/runs', summary: "The study's released results (participants, its accredited researcher, admins, auditors)", auth: 'session', tag: 'research' },
  { method: 'get', path: '/api/studies/{id}/runs/{run}/cohort', summary: "A run's cohort list, salt and tree size, and the root as on chain (admins, auditors)", auth: 'session', tag: 'research' },
  { method: 'get', path: '/fhir/metadata', summary: 'CapabilityStatement', auth: 'public', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir', summary: 'Bundle transaction or batch', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/Consent', summary: 'Grants as Consent resources (patient, actor; paged)', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir/Consent/_search', summary: 'Consent search with form parameters', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/Consent/{id}', summary: 'One grant as a Consent', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/AuditEvent', summary: 'The access log as IHE BALP AuditEvents (paged)', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir/AuditEvent/_search', summary: 'AuditEvent search with form parameters', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/AuditEvent/{id}', summary: 'One access-log entry as an AuditEvent', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/Provenance', summary: "A record's versions' authorship from the chain", auth: 'session', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir/Provenance/_search', summary: 'Provenance search with form parameters', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/Provenance/{id}', summary: 'One version\'s Provenance (id: its transaction hash)', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/Patient/{id}/$everything', summary: "Everything about a patient the caller may see (id: the patient's address)", auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/{type}', summary: 'Search by the parameters the CapabilityStatement declares (paged: _count, _offset)', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir/{type}/_search', summary: 'Search with form parameters', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'post', path: '/fhir/{type}', summary: 'Create (encrypted, registered on chain) — custodial accounts', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'put', path: '/fhir/{type}', summary: 'Refused (400): conditional update is not supported', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'delete', path: '/fhir/{type}', summary: 'Refused (400): conditional delete is not supported', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/{type}/{id}', summary: 'Read the latest version', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'put', path: '/fhir/{type}/{id}', summary: 'Update (If-Match: W/"n"; stale → 412)', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'delete', path: '/fhir/{type}/{id}', summary: 'Refused (405): records are erased by the patient through /api/records/{id}/erase', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/{type}/{id}/_history', summary: 'Version history', auth: 'session', tag: 'fhir', fhir: true },
  { method: 'get', path: '/fhir/{type}/{id}/_history/{vid}', summary: 'Read one version', auth: 'session', tag: 'fhir', fhir: true },
];

/** `/a/{b}` for a route's `/a/:b`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z_]+)/g, '{$1}');

export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const error = { description: 'Refused: a message (an OperationOutcome under /fhir)', content: { [op.fhir ? 'application/fhir+json' : 'application/json']: { schema: op.fhir ? { $ref: '#/components/schemas/OperationOutcome' } : { $ref: '#/components/schemas/Error' } } } };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary, tags: [op.tag],
      ...(op.auth === 'session' ? { security: [{ session: [] }] } : { security: [] }),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) } } } } : {}),
      ...(op.binary === 'request' ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } } } : {}),
      ...(op.fhir && (op.method === 'post' || op.method === 'put') && op.path !== '/fhir' && !op.path.endsWith('_search') && !op.summary.startsWith('Refused') ? { requestBody: { required: true, content: { 'application/fhir+json': { schema: { type: 'object', description: 'A FHIR R4 resource' } } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(op.binary === 'response' ? { content: { 'application/octet-stream': {} } } : {}) },
        '400': error, ...(op.auth === 'session' ? { '401': error, '403': error } : {}), '429': error,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'MedChain gateway', version: '0.1.0', description: 'Encrypted medical records with timed patient consent, authorized from chain state. See docs/gateway.md.' },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { session: { type: 'http', scheme: 'bearer', description: 'Session token from POST /auth/verify (Sign-In with Ethereum)' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
        OperationOutcome: { type: 'object', properties: { resourceType: { const: 'OperationOutcome' }, issue: { type: 'array' } }, required: ['resourceType', 'issue'] },
      },
    },
    paths,
  };
}
