/**
 * Audit routes (REST, under /api): the access log as its subjects and auditors see it, and
 * inclusion proofs to check against the root anchored on chain.
 *
 *   GET /api/audit?patient=0x…|actor=0x…&after=seq&limit=n   entries (the patient, the actor, auditors, admins)
 *   GET /api/audit/periods                                    closed periods: root, count, anchoring transaction
 *   GET /api/audit/:seq/proof                                 { entry, periodId, leafIndex, treeSize, path, root, anchorTx, gateway }
 */
import { Hono } from 'hono';
import { getAddress, isAddress } from 'viem';
import type { AccessLog } from '../audit/accessLog.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { fail } from './validation.ts';
import { mayListAudit, mayReadAuditAbout } from '../auth/policy.ts';

export function auditRoutes(deps: DataRouteDeps & { accessLog: AccessLog }) {
  const app = new Hono<GatewayEnv>();

  app.get('/audit', async (c) => {
    const s = c.get('session');
    const patient = c.req.query('patient');
    const actor = c.req.query('actor');
    const who = patient ?? actor ?? s.address;
    if (!isAddress(who)) fail(400, 'patient/actor must be an address');
    if (!mayReadAuditAbout(s, getAddress(who))) fail(403, 'you may read only the log about you');
    const after = Number(c.req.query('after') ?? 0);
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) fail(400, 'after must be a sequence number, limit 1..1000');
    const entries = await deps.accessLog.entries(actor && !patient ? { actor: who, afterSeq: after, limit } : { patient: who, afterSeq: after, limit });
    return c.json({ entries });
  });

  app.get('/audit/periods', async (c) => {
    const s = c.get('session');
    if (!mayListAudit(s)) fail(403, 'patients, auditors and admins only');
    return c.json({ gateway: deps.relayer.address, periods: await deps.accessLog.periods() });
  });

  app.get('/audit/:seq/proof', async (c) => {
    const s = c.get('session');
    const seq = Number(c.req.param('seq'));
    if (!Number.isSafeInteger(seq) || seq < 1) fail(400, 'seq must be a positive integer');
    const proof = await deps.accessLog.prove(seq);
    if (!proof) fail(404, 'no such entry, or its period is not closed yet (proofs exist once a period is anchored)');
    if (!mayReadAuditAbout(s, proof.entry.patient, proof.entry.actor)) {
      fail(403, 'this entry is not about you');
    }
    return c.json({ ...proof, gateway: deps.relayer.address });
  });

  return app;
}
