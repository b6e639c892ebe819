/**
 * What an admin or auditor needs to recompute a run's on-chain commitments: the cohort list, its
 * salt and the padded tree's size (anyone else is refused; a patient sees their own inclusion
 * through `getStudyParticipation`). Runs in Node and browsers.
 */
import type { Address, Hex } from 'viem';
import type { GatewayClient } from '../gateway.ts';
import { studyRequest } from './studyRequest.ts';

/** `salt` and `treeSize` are null for runs recorded before cohorts were salted. */
export interface StudyRunCohort { cohort: Address[]; cohortHash: Hex; salt: Hex | null; treeSize: number | null; resultSalt: Hex | null }

/**
 * @example const { cohort, salt, treeSize } = await getStudyRunCohort({ gateway, studyId: 1n, runId: 3 })
 */
export async function getStudyRunCohort(options: { gateway: GatewayClient; studyId: bigint; runId: number }): Promise<StudyRunCohort> {
  return studyRequest<StudyRunCohort>(options.gateway, 'GET', `/api/studies/${options.studyId}/runs/${options.runId}/cohort`);
}
