/**
 * The caller's own part in a study: whether they take part, how many data keys they shared, and
 * the runs that included them, each with their leaf of the run's cohort tree (checkable against
 * the chain's cohortHash with ../cohortInclusion.ts, opening no one else's). Runs in Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import type { CohortInclusion } from '../cohortInclusion.ts';
import { studyRequest, type StudyRunView } from './studyRequest.ts';

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
