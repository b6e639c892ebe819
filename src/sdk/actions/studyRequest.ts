/**
 * The one request every research-study action makes (the gateway's /api/studies routes,
 * docs/research.md): GatewayClient.request, with the client's session and fetch, failures as the
 * SDK's typed errors; and the shapes those routes answer with (src/gateway/routes/studies.ts builds
 * them). Callers use the actions beside this file, not this request. Runs in Node and browsers.
 */
import type { Address, Hex } from 'viem';
import type { GatewayClient } from '../gateway.ts';

/** One JSON request to the gateway's study API, through the client's own request (its session, fetch and typed errors). */
export function studyRequest<T>(gateway: GatewayClient, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  return gateway.request<T>(method, path, body);
}

/** A coded value a study reads, in plain language (the researcher's text, checked against the declared codes). */
export interface StudyCode { system: string; code: string; display: string }

/** One of a study's declared computations; bounds in the value's units. */
export interface StudyComputation { index: number; kind: string; code: Hex; codeY?: Hex; lower: number; upper: number; lowerY: number; upperY: number; bins: number }

/** A study as every signed-in user sees it: terms on chain, the researcher's text, the privacy budget. */
export interface StudyView {
  studyId: number; researcher: Address; status: 'none' | 'proposed' | 'approved' | 'closed' | 'ended'; open: boolean;
  title: string | null; summary: string | null; codes: StudyCode[];
  titleHash: Hex; protocolHash: Hex; minCohort: number; participants: number;
  budget: { epsilon: number; spent: number; left: number };
  endTime: number; registeredAt: number; approvedAt: number | null; closedAt: number | null;
  /** How many runs so far. */
  runs: number;
  computeOperator: Address; computeKey: Hex;
  /** Whether this gateway holds the study's compute key (a patient takes part only there). */
  computeKeyHeldHere: boolean;
  categories: Hex[]; dataCodes: Hex[]; computations: StudyComputation[];
}

/**
 * A run of a declared computation. `result` and `resultSalt` only for those who see results (its
 * participants, its accredited researcher, admins, auditors).
 */
export interface StudyRunView {
  studyId: number; runId: number; computation: number; kind: string; cohortSize: number; epsilon: number;
  resultHash: Hex; cohortHash: Hex; txHash: Hex; time: number;
  result?: StudyResult; resultSalt?: Hex | null;
}

/** A released (noised) result; which fields it has depends on the computation's kind (the gateway's research/computations.ts). */
export interface StudyResult {
  kind: string; count?: number; mean?: number; bins?: Array<{ from: number; to: number; count: number }>;
  quantiles?: Record<string, number>; intercept?: number; slope?: number;
  [field: string]: unknown;
}
