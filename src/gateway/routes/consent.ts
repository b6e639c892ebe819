/**
 * Consent routes (REST, under /api): grants and requests as the indexer saw them, with each grant's
 * state computed at the current second; relaying of patients' EIP-712 signed decisions (so
 * patients need no funds); and the patient's event feed (server-sent events) for emergency alerts.
 *
 *   GET  /api/grants?patient=0x…|grantee=0x…      grouped: active, upcoming, expired, revoked
 *   POST /api/grants/relay                         { patient, terms, requestId?, deadline, signature }
 *   POST /api/grants/:id/revoke/relay              { patient, deadline, signature }
 *   POST /api/grants/:id/extend/relay              { patient, validUntil, deadline, signature }
 *   GET  /api/requests?patient=0x…|provider=0x…
 *   GET  /api/emergencies?patient=0x…
 *   GET  /api/events                               server-sent events about the caller (grants, requests, break-glass)
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { getAddress, parseEventLogs, type Hex } from 'viem';
import { ConsentAbi } from '../../sdk/contracts.ts';
import { ChainRefusal } from '../chain/relayer.ts';
import { chainRefused } from '../http/errors.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import { address, fail, hex32, jsonBody, parse, purposeLabel, scopeName, sessionOf, uint, uint64 } from './validation.ts';
import { mayViewConsent } from '../auth/policy.ts';
import { grantRepository, type GrantRow } from '../repository/grants.ts';

const signature = z.string().regex(/^0x[0-9a-fA-F]{130,}$/, 'expected a 0x-hex signature').max(20_000);
const terms = z.object({
  grantee: address,
  scopeKind: z.number().int().min(0).max(2),
  scopeValue: hex32,
  permissions: z.number().int().min(1).max(3),
  /** The purpose tag (POST /api/patients/:patient/purposes), opaque to anyone without the patient's key. */
  purpose: hex32,
  validFrom: uint64,
  validUntil: uint64,
});

/** Request bodies (also published in /openapi.json). */
export const relayGrantBody = z.object({ patient: address, terms, requestId: uint.optional(), deadline: uint, signature });
export const relayRevokeBody = z.object({ patient: address, deadline: uint, signature });
export const relayExtendBody = z.object({ patient: address, validUntil: uint64, deadline: uint, signature });

/** `purpose`: the decoded purpose (`decodePurpose`) for a viewer who may see it; "unknown" otherwise. */
export function grantView(row: GrantRow, now: bigint, purpose = 'unknown') {
  const from = BigInt(row.valid_from);
  const until = BigInt(row.valid_until);
  const state = row.revoked_block !== null && row.revoked_block !== undefined ? 'revoked' : now < from ? 'upcoming' : now >= until ? 'expired' : 'active';
  const permissions = Number(row.permissions);
  return {
    grantId: Number(row.grant_id), patient: getAddress(row.patient), grantee: getAddress(row.grantee),
    scope: { kind: scopeName[Number(row.scope_kind)] ?? 'all', value: row.scope_value },
    read: (permissions & 1) !== 0, write: (permissions & 2) !== 0, purpose,
    validFrom: Number(from), validUntil: Number(until), requestId: Number(row.request_id) || null, state,
    secondsLeft: state === 'active' ? Number(until - now) : null,
  };
}

/**
 * A grant's or request's purpose as the gateway names it ("treatment"): its on-chain tag decoded
 * with the patient's key for that grantee; "unknown" when this gateway holds no key that makes it.
 */
export async function decodePurpose(deps: Pick<DataRouteDeps, 'categories'>, patient: string, grantee: string, tag: string): Promise<string> {
  return purposeLabel(await deps.categories.purposeOf(getAddress(patient), getAddress(grantee), tag));
}

export function consentRoutes(deps: DataRouteDeps) {
  const app = new Hono<GatewayEnv>();

  const session = (c: Context<GatewayEnv>): Session => sessionOf(c);
  /** A patient's or provider's consent data is theirs, their counterpart's, an admin's or an auditor's to see. */

  const relay = async (send: () => Promise<{ hash: Hex; blockNumber: bigint }>) => {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ChainRefusal) throw chainRefused(422, `the chain refused: ${error.errorName}`, error);
      throw error;
    }
  };

  app.get('/grants', async (c) => {
    const s = session(c);
    const patient = c.req.query('patient');
    const grantee = c.req.query('grantee');
    if (!patient && !grantee) fail(400, 'give patient= or grantee=');
    const p = patient ? parse(address, patient) : undefined;
    const g = grantee ? parse(address, grantee) : undefined;
    if (p && !mayViewConsent(s, p) && !(g && mayViewConsent(s, g))) fail(403, 'you may list only your own grants');
    if (!p && g && !mayViewConsent(s, g)) fail(403, 'you may list only your own grants');
    const rows = await grantRepository(deps.index).between(p, g);
    const now = await deps.access.clock();
    // A category scope is blinded per patient: its type is told to the grant's own parties only.
    // The purpose, blinded too, is decoded for whoever may list the grant (parties, auditors, admins).
    const grants = await Promise.all(rows.map(async (r) => {
      const v = grantView(r, now, await decodePurpose(deps, r.patient, r.grantee, r.purpose));
      if (v.scope.kind !== 'category' || (s.address !== v.patient && s.address !== v.grantee)) return v;
      return { ...v, scope: { ...v.scope, type: await deps.categories.typeOf(v.patient, v.scope.value as Hex) ?? null } };
    }));
    const group = (state: string) => grants.filter((x) => x.state === state);
    return c.json({ now: Number(now), active: group('active'), upcoming: group('upcoming'), expired: group('expired'), revoked: group('revoked') });
  });

  app.post('/grants/relay', async (c) => {
    session(c);
    const body = parse(relayGrantBody, await jsonBody(c));
    const { hash, blockNumber } = await relay(() => deps.relayer.grantBySig(body.patient, body.terms, body.requestId ?? 0n, body.deadline, body.signature as Hex));
    const receipt = await deps.client.getTransactionReceipt({ hash });
    const created = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' })[0];
    return c.json({ grantId: Number(created!.args.grantId), txHash: hash, blockNumber: Number(blockNumber) }, 201);
  });

  app.post('/grants/:id/revoke/relay', async (c) => {
    session(c);
    const grantId = parse(uint, c.req.param('id'));
    const body = parse(relayRevokeBody, await jsonBody(c));
    // Revocation at the speed of the signature: once the chain accepts the signature (simulation),
    // the grant is denied — before the transaction is mined, and still if it then fails for another
    // reason — until the chain records it or the patient acts on the grant again (docs/gateway.md#authorization).
    let accepted = false;
    const { hash } = await relay(async () => {
      try {
        return await deps.relayer.revokeBySig(body.patient, grantId, body.deadline, body.signature as Hex, async () => {
          await deps.access.withdrawGrant(grantId, body.patient);
          accepted = true;
        });
      } catch (error) {
        // Only a refused signature undoes the withdrawal: then the patient did not sign this revocation.
        if (accepted && error instanceof ChainRefusal && error.errorName === 'InvalidSignature') await deps.access.restoreGrant(grantId);
        throw error;
      }
    });
    return c.json({ grantId: Number(grantId), txHash: hash });
  });

  app.post('/grants/:id/extend/relay', async (c) => {
    session(c);
    const grantId = parse(uint, c.req.param('id'));
    const body = parse(relayExtendBody, await jsonBody(c));
    const { hash } = await relay(() => deps.relayer.extendBySig(body.patient, grantId, body.validUntil, body.deadline, body.signature as Hex));
    // The patient acted on this grant again (mined): a revocation of theirs the chain never recorded no longer holds.
    await deps.access.restoreGrant(grantId);
    return c.json({ grantId: Number(grantId), txHash: hash });
  });

  app.get('/requests', async (c) => {
    const s = session(c);
    const patient = c.req.query('patient');
    const provider = c.req.query('provider');
    const who = parse(address, patient ?? provider ?? s.address);
    if (!mayViewConsent(s, who)) fail(403, 'you may list only your own requests');
    const column = provider ? 'provider' : 'patient';
    const rows = await deps.index.query<Record<string, string | number | null>>(`SELECT * FROM access_requests WHERE ${column} = $1 ORDER BY request_id`, [who.toLowerCase()]);
    return c.json({
      requests: await Promise.all(rows.map(async (r) => ({
        requestId: Number(r.request_id), patient: getAddress(String(r.patient)), provider: getAddress(String(r.provider)),
        scope: { kind: scopeName[Number(r.scope_kind)], value: r.scope_value }, read: (Number(r.permissions) & 1) !== 0, write: (Number(r.permissions) & 2) !== 0,
        purpose: await decodePurpose(deps, String(r.patient), String(r.provider), String(r.purpose)), purposeTag: r.purpose,
        validFrom: Number(r.valid_from), validUntil: Number(r.valid_until), status: r.status, grantId: r.grant_id === null ? null : Number(r.grant_id),
      }))),
    });
  });

  app.get('/emergencies', async (c) => {
    const s = session(c);
    const patient = parse(address, c.req.query('patient') ?? s.address);
    if (!mayViewConsent(s, patient)) fail(403, 'you may list only your own emergency accesses');
    const now = Number(await deps.access.clock());
    const rows = await deps.index.query<Record<string, string | number | null>>('SELECT * FROM emergencies WHERE patient = $1 ORDER BY access_id', [patient.toLowerCase()]);
    return c.json({
      emergencies: rows.map((r) => ({
        accessId: Number(r.access_id), provider: getAddress(String(r.provider)), reasonHash: r.reason_hash,
        until: Number(r.until_time), live: r.closed_by === null && Number(r.until_time) > now, closedBy: r.closed_by, txHash: r.tx_hash,
      })),
    });
  });

  // Server-sent events: every indexed chain event about the caller, from `since` (an event cursor) on.
  app.get('/events', async (c) => {
    const s = session(c);
    let cursor = Number(c.req.query('since') ?? c.req.header('last-event-id') ?? 0);
    if (!Number.isSafeInteger(cursor) || cursor < 0) fail(400, 'since must be a block number');
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => { open = false; });
      while (open) {
        const rows = await deps.index.query<{ block_number: number | string; log_index: number | string; name: string; args: string; tx_hash: string }>(
          'SELECT block_number, log_index, name, args, tx_hash FROM chain_events WHERE subject = $1 AND block_number > $2 ORDER BY block_number, log_index LIMIT 200',
          [s.address.toLowerCase(), cursor]);
        for (const row of rows) {
          await stream.writeSSE({ id: String(row.block_number), event: row.name, data: JSON.stringify({ ...JSON.parse(row.args), txHash: row.tx_hash, blockNumber: Number(row.block_number) }) });
          cursor = Math.max(cursor, Number(row.block_number));
        }
        await stream.sleep(rows.length === 200 ? 0 : 1000);
      }
    });
  });

  return app;
}
