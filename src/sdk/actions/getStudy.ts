/**
 * One study's page: its terms and text, its budget, and every run (with the released values only
 * for those who see results). Runs in Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyRunView, type StudyView } from './studyRequest.ts';

export interface StudyPage extends StudyView { runList: StudyRunView[] }

/**
 * @example const { title, budget, runList } = await getStudy({ gateway, studyId: 1n })
 */
export async function getStudy(options: { gateway: GatewayClient; studyId: bigint }): Promise<StudyPage> {
  return studyRequest<StudyPage>(options.gateway, 'GET', `/api/studies/${options.studyId}`);
}
