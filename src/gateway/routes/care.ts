/**
 * Care views (REST, under /api, signed in): the caller's patients and grants, paginated, straight
 * from the gateway's SQL index, so a provider with hundreds of patients gets one page in one
 * request instead of reading chain state grant by grant. Each grant's state is judged at the
 * access clock (the wall-clock second, never before the latest block), as every access check is.
 *
 *   GET /api/care/patients?limit=n&offset=n
 *       patients whose records are open to the caller now (a live grant, or live break-glass),
 *       soonest-ending first, each with its Patient record (to decrypt the name when allowed)
 *   GET /api/care/grants?as=grantee|patient&state=active|upcoming|expired|revoked&limit=n&offset=n
 *       the caller's grants in one state, newest first, with the count in every state and the
 *       grantee's directory label
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { getAddress } from 'viem';
import { providerLabel } from '../../sdk/providerProfile.ts';
import { decodePurpose, grantView } from './consent.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { recordRepository } from '../repository/records.ts';
import { GRANT_STATES, grantRepository } from '../repository/grants.ts';
import { parse, sessionOf } from './validation.ts';

const page = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};
const patientsQuery = z.object(page);
const grantsQuery = z.object({ ...page, as: z.enum(['grantee', 'patient']).default('grantee'), state: z.enum(['active', 'upcoming', 'expired', 'revoked']).default('active') });

export function careRoutes(deps: DataRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const grants = grantRepository(deps.index);

  /** Each patient's own Patient resource record (the first one registered), to read their name from. */
  async function patientRecords(patients: string[]) {
    if (patients.length === 0) return new Map<string, { recordId: string; latestVersion: number }>();
    const rows = await recordRepository(deps.index).liveOfPatients(patients);
    // Each patient's Patient category is their own (blinded per patient; legacy records: the public hash).
    const patientCategories = new Map(await Promise.all(patients.map(async (p) => [p, await deps.categories.categoriesOf(getAddress(p), 'Patient')] as const)));
    return new Map(rows.filter((r) => patientCategories.get(r.patient)?.includes(r.category.toLowerCase() as `0x${string}`))
      .map((r) => [r.patient, { recordId: r.record_id, latestVersion: Number(r.latest_version) }]));
  }

  app.get('/care/patients', async (c) => {
    const me = sessionOf(c).address.toLowerCase();
    const q = parse(patientsQuery, c.req.query());
    const now = (await deps.access.clock()).toString();
    const { total, rows } = await grants.openTo(me, now, q.limit, q.offset);
    const records = await patientRecords(rows.map((r) => r.patient));
    return c.json({
      now: Number(now), total, limit: q.limit, offset: q.offset,
      patients: rows.map((r) => ({
        patient: getAddress(r.patient), until: Number(r.until), basis: Number(r.emergency) === 1 ? 'break-glass' : 'grant',
        patientRecord: records.get(r.patient) ?? null,
      })),
    });
  });

  app.get('/care/grants', async (c) => {
    const me = sessionOf(c).address.toLowerCase();
    const q = parse(grantsQuery, c.req.query());
    const now = await deps.access.clock();
    const counts = await grants.countsByState(q.as, me, now);
    const rows = await grants.inState(q.as, me, q.state, now, q.limit, q.offset);
    const records = q.as === 'grantee' && q.state === 'active' ? await patientRecords([...new Set(rows.map((r) => r.patient))]) : new Map();
    return c.json({
      now: Number(now), state: q.state, limit: q.limit, offset: q.offset,
      counts: Object.fromEntries(GRANT_STATES.map((k) => [k, Number(counts?.[k] ?? 0)])),
      grants: await Promise.all(rows.map(async (r) => ({
        ...grantView(r, now, await decodePurpose(deps, r.patient, r.grantee, r.purpose)), granteeLabel: r.display_name === null ? null : providerLabel({ displayName: r.display_name, specialty: r.specialty ?? '', organization: r.organization ?? '' }),
        patientRecord: records.get(r.patient) ?? null,
      }))),
    });
  });

  return app;
}
