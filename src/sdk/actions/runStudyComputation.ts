/**
 * Its researcher runs one of a study's declared computations: the gateway computes it over the
 * participants' data with Laplace noise, records the run on chain (salted commitments) and in each
 * included patient's audit trail, and releases the result only over the minimum cohort. Runs in
 * Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyResult, type StudyRunView } from './studyRequest.ts';

export interface RunStudyComputationParameters {
  gateway: GatewayClient; studyId: bigint;
  /** The computation's index in the study's declaration. */
  computation: number;
  /** The privacy budget this run spends (at least 0.05). */
  epsilon: number;
  /** Only values dated in these whole months (YYYY-MM, UTC); `to` is exclusive. */
  from?: string; to?: string;
}

export interface StudyRunResult extends StudyRunView {
  result: StudyResult;
  /** The noise added: its scale and, where stated, the bound it stays within with probability 1 − beta. */
  noise: { scale: number; errorBound?: number; beta: number };
}

/**
 * @example const run = await runStudyComputation({ gateway, studyId: 1n, computation: 0, epsilon: 1 })
 */
export async function runStudyComputation(options: RunStudyComputationParameters): Promise<StudyRunResult> {
  const { gateway, studyId, computation, epsilon, from, to } = options;
  return studyRequest<StudyRunResult>(gateway, 'POST', `/api/studies/${studyId}/runs`, { computation, epsilon, from, to });
}
