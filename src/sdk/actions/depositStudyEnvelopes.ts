/**
 * A participant deposits data keys wrapped to a study's compute key (only at the hospital holding
 * it, only for the patient's own records in the study's categories), in batches of the 500 the
 * gateway takes at once. Runs in Node and browsers.
 */
import type { Hex } from 'viem';
import type { GatewayClient } from '../gateway.ts';
import { studyRequest } from './studyRequest.ts';

/** The gateway's largest batch (routes/studies.ts). */
const BATCH = 500;

/**
 * `envelope`: base64 of the HPKE envelope (records.ts `envelopeForNewReader`, reader = the study's `studyRecipient`).
 * @example await depositStudyEnvelopes({ gateway, studyId: 1n, envelopes: [{ recordId, version: 1, envelope }] })
 */
export async function depositStudyEnvelopes(options: { gateway: GatewayClient; studyId: bigint; envelopes: Array<{ recordId: Hex; version: number; envelope: string }> }): Promise<number> {
  const { gateway, studyId, envelopes } = options;
  for (let i = 0; i < envelopes.length; i += BATCH) {
    await studyRequest(gateway, 'POST', `/api/studies/${studyId}/envelopes`, { envelopes: envelopes.slice(i, i + BATCH) });
  }
  return envelopes.length;
}
