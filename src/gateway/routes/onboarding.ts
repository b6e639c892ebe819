/**
 * Onboarding on a permissioned chain (public: the EIP-712 signature is the authentication). A new
 * patient or provider applicant signs their registration; the gateway's operator relays it
 * (Identity.registerPatientBySig / applyAsProviderBySig) and then admits the account to the node's
 * allowlist, so its own transactions are accepted from then on. No hand-made allowlist step.
 *
 *   GET  /api/onboarding/:address     what to sign: chain id, Identity address (EIP-712 domain), nonce, current role, chain time
 *   POST /api/onboarding/patient      { patient, encryptionKey, metadataHash, deadline, signature }
 *   POST /api/onboarding/provider     { provider, kind, encryptionKey, metadataHash, deadline, signature }
 *   POST /api/onboarding/admit        { address }  admit an account already registered on chain (devices, older accounts)
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Address, Hex } from 'viem';
import { IdentityAbi, Role } from '../../sdk/contracts.ts';
import type { NodeAllowlist } from '../chain/allowlist.ts';
import { ChainRefusal } from '../chain/relayer.ts';
import { chainRefused } from '../http/errors.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { address, fail, hex32, jsonBody, parse, uint } from './validation.ts';

const signature = z.string().regex(/^0x[0-9a-fA-F]{130,}$/, 'expected a 0x-hex signature');

/** Request bodies (also usable in /openapi.json). */
export const onboardPatientBody = z.object({ patient: address, encryptionKey: hex32, metadataHash: hex32, deadline: uint, signature });
export const onboardProviderBody = z.object({ provider: address, kind: z.number().int().min(0).max(4), encryptionKey: hex32, metadataHash: hex32, deadline: uint, signature });
export const admitBody = z.object({ address });

const roleName: Record<number, string> = Object.fromEntries(Object.entries(Role).map(([k, v]) => [v, k.toLowerCase()]));

export function onboardingRoutes(deps: DataRouteDeps & { chainId: number; allowlist: NodeAllowlist }) {
  const app = new Hono<GatewayEnv>();
  const identity = { address: deps.addresses.identity, abi: IdentityAbi } as const;
  const roleOf = async (account: Address) => Number(await deps.client.readContract({ ...identity, functionName: 'roleOf', args: [account] }));

  /** Relays a signed registration; refuses (changing nothing) an account already registered or a signature the chain rejects. */
  async function register(account: Address, send: () => Promise<{ hash: Hex; blockNumber: bigint }>) {
    const current = await roleOf(account);
    if (current !== Role.None) fail(409, `${account} is already registered (${roleName[current]})`);
    let sent: { hash: Hex; blockNumber: bigint };
    try {
      sent = await send();
    } catch (error) {
      if (error instanceof ChainRefusal) throw chainRefused(422, `the chain refused the registration: ${error.errorName}`, error);
      throw error;
    }
    // The registration is on chain whatever happens next; a failed admission is retried with POST /onboarding/admit.
    const { admitted } = await deps.allowlist.admit([account]).catch(() => ({ admitted: false }));
    return { txHash: sent.hash, blockNumber: Number(sent.blockNumber), admitted };
  }

  app.get('/onboarding/:address', async (c) => {
    const account = parse(address, c.req.param('address'));
    const [nonce, role, now] = await Promise.all([deps.client.readContract({ ...identity, functionName: 'nonces', args: [account] }), roleOf(account), deps.access.clock()]);
    // `now` is the chain's clock: deadlines are checked against block time, which may differ from the client's.
    return c.json({ address: account, role: roleName[role], chainId: deps.chainId, identity: deps.addresses.identity, nonce: nonce.toString(), now: Number(now) });
  });

  app.post('/onboarding/patient', async (c) => {
    const b = parse(onboardPatientBody, await jsonBody(c));
    const result = await register(b.patient, () => deps.relayer.registerPatientBySig(b.patient, b.encryptionKey, b.metadataHash, b.deadline, b.signature as Hex));
    return c.json({ address: b.patient, role: 'patient', ...result }, 201);
  });

  app.post('/onboarding/provider', async (c) => {
    const b = parse(onboardProviderBody, await jsonBody(c));
    const result = await register(b.provider, () => deps.relayer.applyAsProviderBySig(b.provider, b.kind, b.encryptionKey, b.metadataHash, b.deadline, b.signature as Hex));
    return c.json({ address: b.provider, role: 'provider', status: 'pending', ...result }, 201);
  });

  app.post('/onboarding/admit', async (c) => {
    const { address: account } = parse(admitBody, await jsonBody(c));
    if (await roleOf(account) === Role.None) fail(403, `${account} is not registered in MedChain; register first (POST /api/onboarding/patient or /provider)`);
    return c.json({ address: account, ...(await deps.allowlist.admit([account])) });
  });

  return app;
}
