/**
 * Typed client of a MedChain gateway's REST API, used by the CLI, the web UI and the tests.
 * Sign-in is Sign-In with Ethereum (EIP-4361): the gateway issues a nonce, the account signs the
 * message, the gateway returns a short-lived session token sent as a bearer token afterwards.
 * Runs in Node and browsers (global fetch only).
 */
import { createSiweMessage } from 'viem/siwe';
import { http, type Address, type Hex, type HttpTransport, type HttpTransportConfig } from 'viem';
import { PURPOSES, type GrantTerms, type PurposeName } from './contracts.ts';
import type { EscrowBundle, EscrowCustodian, ReleasedShare } from '../crypto/escrow.ts';
import { gatewayErrorFrom } from './errors.ts';
export { GatewayError } from './errors.ts';

/** Anything that can sign an EIP-191 message: a viem local account or wallet client account. */
export interface MessageSigner {
  address: Address;
  signMessage(args: { message: string }): Promise<Hex>;
}

export interface GrantView {
  /** `scope.type`: for a category scope shown to the grant's patient or grantee, the record type the gateway maps it to. */
  grantId: number; patient: Address; grantee: Address; scope: { kind: 'all' | 'category' | 'record'; value: Hex; type?: string | null };
  /** `purpose`: lower-case purpose name the gateway decoded from the on-chain tag ("treatment"), or "unknown". */
  read: boolean; write: boolean; purpose: string; validFrom: number; validUntil: number; requestId: number | null;
  state: 'active' | 'upcoming' | 'expired' | 'revoked'; secondsLeft: number | null;
}

export interface AccessView { basis: 'patient' | 'grant' | 'break-glass'; until: number | null; grantId: number | null }

/** `type`: the FHIR type the gateway maps the (blinded) category to for this patient; null when it cannot. */
export interface RecordSummary { recordId: Hex; category: Hex; type: string | null; latestVersion: number; erased: boolean; access: AccessView }

export interface RecordDetail {
  recordId: Hex; patient: Address; category: Hex; type: string | null; latestVersion: number; createdAt: number; erasedAt: number | null; access: AccessView;
  versions: Array<{ version: number; author: Address; timestamp: number; previousVersion: number; cid: string | null; integrityHash: Hex }>;
}

const b64 = (bytes: Uint8Array) => {
  let s = '';
  for (const byte of bytes) s += String.fromCharCode(byte);
  return btoa(s);
};
const unb64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

export class GatewayClient {
  private token: string | undefined;

  constructor(readonly baseUrl: string, private readonly fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)) {}

  get signedIn(): boolean { return this.token !== undefined; }

  /** The session's bearer token (for raw requests, e.g. streaming the event feed). */
  get sessionToken(): string | undefined { return this.token; }

  /**
   * A viem transport to the gateway's JSON-RPC passthrough (`/rpc`) that sends this client's
   * session token, read at each request: built before sign-in, it works once signed in. Without a
   * session the gateway answers only what connecting needs (docs/gateway.md § "Who sees the chain").
   */
  rpcTransport(config: Omit<HttpTransportConfig, 'fetchFn'> = {}): HttpTransport {
    const fetchFn: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (this.token) headers.set('authorization', `Bearer ${this.token}`);
      return this.fetchImpl(input, { ...init, headers });
    };
    return http(new URL('/rpc', this.baseUrl).href, { ...config, fetchFn });
  }

  /**
   * One request to the gateway's API with this client's session and fetch: `body` as JSON (bigints
   * as decimal strings) or `raw` bytes; the answer as JSON, bytes or text by its content type; a
   * refusal as the SDK's typed errors (./errors.ts). The methods below and the SDK's actions use it.
   * @example const { studies } = await gateway.request<{ studies: StudyView[] }>('GET', '/api/studies')
   */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, raw?: Uint8Array): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (raw) { headers['content-type'] = 'application/octet-stream'; payload = raw as Uint8Array<ArrayBuffer>; }
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = json(body); }
    // The session token goes to this gateway only: an absolute or protocol-relative `path` that
    // leaves its origin is refused before anything is sent.
    const url = new URL(path, this.baseUrl);
    if (url.origin !== new URL(this.baseUrl).origin) throw new Error(`GatewayClient.request: ${url.origin} is not this gateway (${new URL(this.baseUrl).origin}); pass a path`);
    const response = await this.fetchImpl(url, { method, headers, body: payload });
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok) {
      const detail = type.includes('json') ? await response.json().catch(() => undefined) : await response.text().catch(() => undefined);
      throw gatewayErrorFrom(response.status, detail, response.statusText);
    }
    if (type.includes('application/octet-stream')) return new Uint8Array(await response.arrayBuffer()) as T;
    return (type.includes('json') ? response.json() : response.text()) as Promise<T>;
  }

  // ---------------------------------------------------------------- auth

  /** Signs in with Sign-In with Ethereum; returns the role the chain gives the account. */
  async signIn(signer: MessageSigner, options: { chainId: number; domain?: string; uri?: string; statement?: string }): Promise<{ address: Address; role: string; expiresAt: string }> {
    const { nonce } = await this.request<{ nonce: string }>('POST', '/auth/nonce', {});
    const url = new URL(this.baseUrl);
    const message = createSiweMessage({
      address: signer.address, chainId: options.chainId, domain: options.domain ?? url.host, nonce, uri: options.uri ?? url.origin, version: '1',
      statement: options.statement ?? 'Sign in to MedChain.', issuedAt: new Date(), expirationTime: new Date(Date.now() + 5 * 60_000),
    });
    const signature = await signer.signMessage({ message });
    const session = await this.request<{ token: string; address: Address; role: string; expiresAt: string }>('POST', '/auth/verify', { message, signature });
    this.token = session.token;
    return { address: session.address, role: session.role, expiresAt: session.expiresAt };
  }

  async signOut(): Promise<void> {
    if (this.token) await this.request('POST', '/auth/logout', {}).catch(() => undefined);
    this.token = undefined;
  }

  // ---------------------------------------------------------------- records

  uploadCiphertext(ciphertext: Uint8Array): Promise<{ cid: string }> {
    return this.request('POST', '/api/blobs', undefined, ciphertext);
  }

  /** Deposits a version's key envelopes, its blind-index tokens and its break-glass escrow shares. */
  depositEnvelopes(recordId: Hex, version: number, envelopes: Array<{ recipient: Address; envelope: Uint8Array }>, tokens?: string[], escrow?: EscrowBundle) {
    return this.request<{ recordId: Hex; version: number; recipients: Address[] }>('POST', `/api/records/${recordId}/versions/${version}/envelopes`, {
      envelopes: envelopes.map((e) => ({ recipient: e.recipient, envelope: b64(e.envelope) })), tokens,
      escrow: escrow && {
        threshold: escrow.threshold, commitment: b64(escrow.commitment),
        shares: escrow.shares.map((s) => ({ custodian: s.custodian, index: s.index, envelope: b64(s.envelope) })),
      },
    });
  }

  /** Under live break-glass: this gateway's escrow shares for a version, re-wrapped to the caller (see recoverEscrowedDataKey). */
  async releaseEscrow(recordId: Hex, version: number): Promise<{ threshold: number; commitment: Uint8Array; shares: ReleasedShare[]; access: AccessView }> {
    const r = await this.request<{ threshold: number; commitment: string; shares: Array<{ index: number; envelope: string }>; access: AccessView }>(
      'POST', `/api/records/${recordId}/versions/${version}/escrow/release`, {});
    return { threshold: r.threshold, commitment: unb64(r.commitment), shares: r.shares.map((s) => ({ index: s.index, envelope: unb64(s.envelope) })), access: r.access };
  }

  /** The escrow policy to split new records' data keys with: custodians' X25519 public keys and the threshold. */
  async escrowConfig(): Promise<{ threshold: number; custodians: EscrowCustodian[] }> {
    const { escrow } = await this.config();
    return { threshold: escrow.threshold, custodians: escrow.custodians.map((c) => ({ id: c.id, publicKey: unb64(c.publicKey) })) };
  }

  /**
   * The patient's on-chain categories for `types` (blinded with the patient's category key, which
   * the gateway holds): what to put in addRecord or a category-scoped grant. The patient and their
   * live grantees may ask.
   */
  async recordCategories<T extends string>(patient: Address, types: T[]): Promise<Record<T, Hex>> {
    const r = await this.request<{ categories: Record<T, Hex> }>('POST', `/api/patients/${patient}/categories`, { types });
    return r.categories;
  }

  /** The patient's own HPKE envelope of their category key (open with crypto unwrapCategoryKey). */
  async categoryKeyEnvelope(patient: Address): Promise<Uint8Array> {
    return unb64((await this.request<{ envelope: string }>('GET', `/api/patients/${patient}/category-key`)).envelope);
  }

  /**
   * The on-chain purpose tags of `patient`'s grants to `grantee` (crypto/categoryKey.ts blindPurpose,
   * under the patient's key the gateway holds): what a grant or access request puts as `purpose`.
   * The patient may ask for any grantee; anyone else only for themself as grantee.
   */
  async purposeTags(patient: Address, grantee: Address, purposes: readonly PurposeName[] = PURPOSES): Promise<Record<PurposeName, Hex>> {
    const r = await this.request<{ purposes: Record<PurposeName, Hex> }>('POST', `/api/patients/${patient}/purposes`, { grantee, purposes });
    return r.purposes;
  }

  /** The on-chain tag of one purpose (see purposeTags). */
  async purposeTag(patient: Address, grantee: Address, purpose: PurposeName): Promise<Hex> {
    return (await this.purposeTags(patient, grantee, [purpose]))[purpose];
  }

  /** The patient's on-chain category for one type (see recordCategories). */
  async recordCategory(patient: Address, type: string): Promise<Hex> {
    return (await this.recordCategories(patient, [type]))[type]!;
  }

  listRecords(patient: Address) {
    return this.request<{ patient: Address; total: number; records: RecordSummary[] }>('GET', `/api/records?patient=${patient}`);
  }

  getRecord(recordId: Hex) { return this.request<RecordDetail>('GET', `/api/records/${recordId}`); }

  getCiphertext(recordId: Hex, version: number) { return this.request<Uint8Array>('GET', `/api/records/${recordId}/versions/${version}/ciphertext`); }

  async getEnvelope(recordId: Hex, version: number): Promise<{ envelope: Uint8Array; access: AccessView }> {
    const r = await this.request<{ envelope: string; access: AccessView }>('GET', `/api/records/${recordId}/versions/${version}/envelope`);
    return { envelope: unb64(r.envelope), access: r.access };
  }

  share(recordId: Hex, version: number, recipient: Address, envelope: Uint8Array) {
    return this.request('POST', `/api/records/${recordId}/versions/${version}/share`, { recipient, envelope: b64(envelope) });
  }

  verify(recordId: Hex, version: number, hash: Hex) {
    return this.request<{ valid: boolean }>('GET', `/api/records/${recordId}/versions/${version}/verify?hash=${hash}`);
  }

  /** After eraseRecord on chain: waits for the gateway's shredding job and returns what it destroyed. */
  erase(recordId: Hex) {
    return this.request<{
      erased: boolean; shredded: boolean; ciphertextsDestroyed: number; ciphertextsKept: number; envelopesDestroyed: number; escrowSharesDestroyed: number; blindIndexTokensDestroyed: number;
    }>('POST', `/api/records/${recordId}/erase`, {});
  }

  // ---------------------------------------------------------------- consent

  grants(query: { patient?: Address; grantee?: Address }) {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v) as Array<[string, string]>);
    return this.request<{ now: number; active: GrantView[]; upcoming: GrantView[]; expired: GrantView[]; revoked: GrantView[] }>('GET', `/api/grants?${q}`);
  }

  relayGrant(args: { patient: Address; terms: GrantTerms; requestId?: bigint; deadline: bigint; signature: Hex }) {
    return this.request<{ grantId: number; txHash: Hex }>('POST', '/api/grants/relay', args);
  }

  relayRevoke(grantId: number | bigint, args: { patient: Address; deadline: bigint; signature: Hex }) {
    return this.request<{ txHash: Hex }>('POST', `/api/grants/${grantId}/revoke/relay`, args);
  }

  relayExtend(grantId: number | bigint, args: { patient: Address; validUntil: bigint; deadline: bigint; signature: Hex }) {
    return this.request<{ txHash: Hex }>('POST', `/api/grants/${grantId}/extend/relay`, args);
  }

  // ---------------------------------------------------------------- onboarding (relayed registration, see sdk/onboarding.ts)

  onboardingInfo(address: Address) {
    return this.request<{ address: Address; role: string; chainId: number; identity: Address; nonce: string; now: number }>('GET', `/api/onboarding/${address}`);
  }

  onboard(role: 'patient' | 'provider', body: Record<string, unknown>) {
    return this.request<{ address: Address; role: string; txHash: Hex; blockNumber: number; admitted: boolean }>('POST', `/api/onboarding/${role}`, body);
  }

  requests(query: { patient?: Address; provider?: Address }) {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v) as Array<[string, string]>);
    return this.request<{ requests: Array<Record<string, unknown>> }>('GET', `/api/requests?${q}`);
  }

  /** Current auditors and their X25519 public keys on chain (null: none published), for sealing break-glass reasons. */
  auditors() { return this.request<{ auditors: Array<{ address: Address; publicKey: Hex | null }> }>('GET', '/api/auditors'); }

  /** The opening provider deposits the sealed reason of break-glass access `accessId` (see sdk/breakGlassReason.ts). */
  depositBreakGlassReason(accessId: bigint | number, sealed: { ciphertext: Uint8Array; envelopes: Array<{ recipient: Address; envelope: Uint8Array }> }) {
    return this.request<{ accessId: number; recipients: Address[] }>('POST', `/api/emergencies/${accessId}/reason`, {
      ciphertext: b64(sealed.ciphertext), envelopes: sealed.envelopes.map((e) => ({ recipient: e.recipient, envelope: b64(e.envelope) })),
    });
  }

  /** The sealed reason of break-glass access `accessId` and the caller's envelope (patient, provider, auditors). */
  async breakGlassReason(accessId: bigint | number): Promise<{ accessId: number; patient: Address; provider: Address; reasonHash: Hex; ciphertext: Uint8Array; envelope: Uint8Array }> {
    const r = await this.request<{ accessId: number; patient: Address; provider: Address; reasonHash: Hex; ciphertext: string; envelope: string }>('GET', `/api/emergencies/${accessId}/reason`);
    return { ...r, ciphertext: unb64(r.ciphertext), envelope: unb64(r.envelope) };
  }

  /** The patient's emergency accesses from the gateway's index (`closedBy`: lower-case, null while not closed early). */
  emergencies(patient: Address) {
    return this.request<{ emergencies: Array<{ accessId: number; provider: Address; reasonHash: Hex; until: number; live: boolean; closedBy: string | null; txHash: Hex }> }>('GET', `/api/emergencies?patient=${patient}`);
  }

  // ---------------------------------------------------------------- audit

  audit(query: { patient?: Address; actor?: Address; after?: number; limit?: number } = {}) {
    const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.request<{ entries: AuditEntry[] }>('GET', `/api/audit?${q}`);
  }

  auditPeriods() { return this.request<{ gateway: Address; periods: Array<{ periodId: number; firstSeq: number; lastSeq: number; count: number; root: Hex; anchorTx: Hex | null }> }>('GET', '/api/audit/periods'); }

  auditProof(seq: number) { return this.request<InclusionProofView>('GET', `/api/audit/${seq}/proof`); }

  // ---------------------------------------------------------------- chain views

  config() { return this.request<{ chainId: number; addresses: Record<string, Address>; escrow: { threshold: number; custodians: Array<{ id: string; publicKey: string; gateway?: string }> } }>('GET', '/api/config'); }
  providers() { return this.request<{ providers: Array<{ address: Address; kind: string; status: string; score: number; balance: string }> }>('GET', '/api/providers'); }
  validators() { return this.request<{ validators: Address[]; maxValidators: number; authorReward: string; producerReward: string }>('GET', '/api/validators'); }
}

export interface AuditEntry {
  seq: number; time: number; actor: string; patient: string; recordId: string | null; action: string; purpose: string; outcome: 'allowed' | 'denied' | 'failed'; reason: string;
}

export interface InclusionProofView {
  entry: AuditEntry; periodId: number; leafIndex: number; treeSize: number; path: string[]; root: Hex; anchorTx: Hex | null; gateway: Address;
}
