/**
 * The caller's own part in a study: whether they take part, how many data keys they shared, and
 * the runs that included them, each with their leaf of the run's cohort tree (checkable against
 * the chain's cohortHash, opening no one else's). Runs in Node and browsers.
 */
import type { Hex } from 'viem';
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyRunView } from './studyRequest.ts';

/** A proof that the caller is in a run's cohort: their leaf's salt, its index, the padded tree's size, the RFC 6962 path. */
export interface CohortInclusion { leafSalt: Hex; leafIndex: number; treeSize: number; path: Hex[] }

export interface StudyParticipation {
  participant: boolean; sharedVersions: number;
  runsIncludingYou: Array<StudyRunView & { inclusion: CohortInclusion | null }>;
}

/**
 * @example const { participant, sharedVersions } = await getStudyParticipation({ gateway, studyId: 1n })
 */
export async function getStudyParticipation(options: { gateway: GatewayClient; studyId: bigint }): Promise<StudyParticipation> {
  return studyRequest<StudyParticipation>(options.gateway, 'GET', `/api/studies/${options.studyId}/participation`);
}
