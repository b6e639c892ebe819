/**
 * A study's released results, for its participants, its accredited researcher, admins and
 * auditors (anyone else is refused: AccessDeniedError). Runs in Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyResult, type StudyRunView } from './studyRequest.ts';

/**
 * @example const runs = await getStudyRuns({ gateway, studyId: 1n })
 */
export async function getStudyRuns(options: { gateway: GatewayClient; studyId: bigint }): Promise<Array<StudyRunView & { result: StudyResult }>> {
  return (await studyRequest<{ runs: Array<StudyRunView & { result: StudyResult }> }>(options.gateway, 'GET', `/api/studies/${options.studyId}/runs`)).runs;
}
