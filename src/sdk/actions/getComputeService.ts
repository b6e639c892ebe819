/**
 * This hospital's research compute service: the operator account and the compute public keys a
 * researcher names when registering a study to be computed here (none: it computes no study).
 * Runs in Node and browsers.
 */
import type { Address, Hex } from 'viem';
import type { GatewayClient } from '../gateway.ts';
import { studyRequest } from './studyRequest.ts';

/**
 * @example const { operator, computeKeys } = await getComputeService({ gateway })
 */
export async function getComputeService(options: { gateway: GatewayClient }): Promise<{ operator: Address; computeKeys: Hex[] }> {
  return studyRequest(options.gateway, 'GET', '/api/studies/compute-service');
}
