/**
 * A study's researcher gives it its plain-language text: a title that must hash to the titleHash
 * registered on chain, a summary, and the display names of its declared codes. Runs in Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { studyRequest, type StudyCode } from './studyRequest.ts';

/**
 * @example await describeStudy({ gateway, studyId: 1n, title, summary, codes: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }] })
 */
export async function describeStudy(options: { gateway: GatewayClient; studyId: bigint; title: string; summary: string; codes?: StudyCode[] }): Promise<void> {
  const { gateway, studyId, title, summary, codes } = options;
  await studyRequest(gateway, 'PUT', `/api/studies/${studyId}/text`, { title, summary, codes });
}

