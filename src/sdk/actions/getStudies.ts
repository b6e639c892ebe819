/**
 * Every study at this hospital's gateway: terms, status, participants, privacy budget. Runs in Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyView } from './studyRequest.ts';

/**
 * @example const studies = await getStudies({ gateway })
 */
export async function getStudies(options: { gateway: GatewayClient }): Promise<StudyView[]> {
  return (await studyRequest<{ studies: StudyView[] }>(options.gateway, 'GET', '/api/studies')).studies;
}
