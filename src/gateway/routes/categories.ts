/**
 * Record categories (REST, under /api, signed in): a patient's on-chain categories are blinded
 * with the patient's category key (crypto/categoryKey.ts), which this gateway holds for the patients
 * it serves. Whoever must put a category on chain — the patient scoping a grant, a grantee writing
 * a record — asks here instead of hashing the type name, which anyone could reverse.
 *
 *   POST /api/patients/:patient/categories  { types: ["Observation", …] }  → { patient, categories: { Observation: 0x… } }
 *   GET  /api/patients/:patient/category-key → { patient, envelope }  the patient's own HPKE envelope of their key (patient only)
 *   POST /api/patients/:patient/purposes    { grantee, purposes: ["Treatment", …] } → { patient, grantee, purposes: { Treatment: 0x… } }
 *
 * Purpose tags (crypto/categoryKey.ts blindPurpose) are bound to the grantee: the patient may ask
 * for any grantee (to sign a grant), and any signed-in account for itself as grantee (a provider
 * preparing an access request), since those tags decode nothing but its own grants and requests.
 *
 * Asked by the patient, or by someone the patient has a live grant or live break-glass access for
 * (they see the patient's categories anyway). Anyone else gets 403: mapping a category to a type is
 * exactly what is hidden from other consortium members.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Address } from 'viem';
import { IdentityAbi, PURPOSES } from '../../sdk/contracts.ts';
import { RECORD_TYPES } from '../../sdk/recordTypes.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import { grantRepository } from '../repository/grants.ts';
import { address, fail, jsonBody, parse, sessionOf } from './validation.ts';

/** Request body (also published in /openapi.json). */
export const categoriesBody = z.object({
  types: z.array(z.enum(RECORD_TYPES, { message: `expected a record type: one of ${RECORD_TYPES.join(', ')}` })).min(1).max(RECORD_TYPES.length),
});

export const purposesBody = z.object({
  grantee: address,
  purposes: z.array(z.enum(PURPOSES, { message: `expected a purpose: one of ${PURPOSES.join(', ')}` })).min(1).max(PURPOSES.length),
});

export function categoryRoutes(deps: DataRouteDeps) {
  const app = new Hono<GatewayEnv>();

  /** The patient, or a live grantee / break-glass opener of theirs (index rows, judged at the access clock). */
  async function mayAsk(s: Session, patient: Address, caughtUp = false): Promise<boolean> {
    if (s.address === patient) return true;
    const now = Number(await deps.access.clock());
    if (await grantRepository(deps.index).hasActive(patient, s.address, now)) return true;
    const [emergency] = await deps.index.query('SELECT 1 FROM emergencies WHERE patient = $1 AND provider = $2 AND closed_by IS NULL AND until_time > $3 LIMIT 1',
      [patient.toLowerCase(), s.address.toLowerCase(), now]);
    if (emergency) return true;
    // A grant mined moments ago may not be indexed yet: once more after the indexer caught up.
    if (caughtUp) return false;
    await deps.indexed();
    return mayAsk(s, patient, true);
  }

  app.post('/patients/:patient/categories', async (c) => {
    const s = sessionOf(c);
    const patient = parse(address, c.req.param('patient'));
    const body = parse(categoriesBody, await jsonBody(c));
    const purpose = s.address === patient ? 'self' : 'treatment';
    if (!(await mayAsk(s, patient))) {
      await deps.audit.append({ actor: s.address, patient, action: 'categories', purpose, outcome: 'denied', reason: 'no live grant or break-glass access' });
      fail(403, `only ${patient} and those they granted access may learn their record categories`);
    }
    const categories: Record<string, string> = {};
    for (const t of new Set(body.types)) categories[t] = await deps.categories.categoryFor(patient, t);
    // Logged like any access to the patient's data (which types were asked is not: that is metadata too).
    await deps.audit.append({ actor: s.address, patient, action: 'categories', purpose, outcome: 'allowed', reason: `${Object.keys(categories).length} type(s)` });
    return c.json({ patient, categories });
  });

  app.post('/patients/:patient/purposes', async (c) => {
    const s = sessionOf(c);
    const patient = parse(address, c.req.param('patient'));
    const body = parse(purposesBody, await jsonBody(c));
    if (s.address !== patient && s.address !== body.grantee) fail(403, `only ${patient}, or the grantee for itself, may learn the purpose tags of ${patient}'s grants to ${body.grantee}`);
    if (body.grantee === patient) fail(400, 'a patient cannot be their own grantee');
    // Keys are made only for registered patients: otherwise anyone signed in could have the gateway mint and store keys at will.
    if (!await deps.client.readContract({ address: deps.addresses.identity, abi: IdentityAbi, functionName: 'isPatient', args: [patient] })) fail(404, `${patient} is not a registered patient`);
    const purposes: Record<string, string> = {};
    for (const p of new Set(body.purposes)) purposes[p] = await deps.categories.purposeTag(patient, body.grantee, p);
    return c.json({ patient, grantee: body.grantee, purposes });
  });

  // The patient's copy: they can compute and check their categories without this gateway, or take the key elsewhere.
  app.get('/patients/:patient/category-key', async (c) => {
    const s = sessionOf(c);
    const patient = parse(address, c.req.param('patient'));
    if (s.address !== patient) fail(403, 'only the patient may fetch their category key envelope');
    const envelope = await deps.categories.patientEnvelope(patient);
    if (!envelope) fail(409, `${patient} has no encryption key on chain to seal their category key to: register one first`);
    return c.json({ patient, envelope: Buffer.from(envelope).toString('base64') });
  });

  return app;
}
