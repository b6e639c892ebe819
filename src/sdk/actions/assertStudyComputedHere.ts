/**
 * Refuses, before anything is signed or shared, a study whose compute key this gateway does not
 * hold: keys wrapped there could not be used, and the gateway refuses them (409) anyway. Runs in
 * Node and browsers.
 */
import type { GatewayClient } from '../gateway.ts';
import { ConflictError } from '../errors.ts';
import { getStudy } from './getStudy.ts';

/**
 * @example await assertStudyComputedHere({ gateway, studyId: 1n })
 */
export async function assertStudyComputedHere(options: { gateway: GatewayClient; studyId: bigint }): Promise<void> {
  const page = await getStudy(options);
  if (!page.computeKeyHeldHere) {
    throw new ConflictError(409, `409 this hospital does not run study ${options.studyId} (it does not hold its compute key): take part at the hospital of its compute operator ${page.computeOperator}`, page);
  }
}
