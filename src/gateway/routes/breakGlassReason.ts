/**
 * Break-glass reasons (REST, under /api): the stated reason of an emergency opening, kept
 * encrypted beside the access log, where the patient and the auditors can read it and check it
 * against the salted commitment on chain (sdk/breakGlassReason.ts). The gateway holds ciphertext
 * and key envelopes only, never the text.
 *
 *   GET  /api/auditors                      current auditors and their X25519 keys on chain (signed in)
 *   POST /api/emergencies/:accessId/reason  { ciphertext, envelopes: [{recipient, envelope}] }  the opening provider, once
 *   GET  /api/emergencies/:accessId/reason  → { accessId, patient, provider, reasonHash, ciphertext, envelope }  readers with an envelope
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { getAddress, type Address, type Hex } from 'viem';
import { ConsentAbi, IdentityAbi } from '../../sdk/contracts.ts';
import type { Database } from '../db/index.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { address, fail, jsonBody, parse, sessionOf, uint } from './validation.ts';
import { mayReadBreakGlassReason } from '../auth/policy.ts';

export const breakGlassReasonMigrations = [
  {
    id: 'break-glass-reason-1',
    sql: `
CREATE TABLE IF NOT EXISTS emergency_reasons (access_id BIGINT PRIMARY KEY, patient TEXT NOT NULL, provider TEXT NOT NULL, ciphertext TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emergency_reason_envelopes (access_id BIGINT NOT NULL, recipient TEXT NOT NULL, envelope TEXT NOT NULL, PRIMARY KEY (access_id, recipient));
`,
  },
] as const;

const base64 = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64');
/** Request body (also published in /openapi.json). A reason is at most 2000 bytes: its sealed form well under 4 KiB. */
export const depositReasonBody = z.object({
  ciphertext: base64(4096),
  envelopes: z.array(z.object({ recipient: address, envelope: base64(256) })).min(1).max(64),
});

export function breakGlassReasonRoutes(deps: DataRouteDeps & { db: Database }) {
  const app = new Hono<GatewayEnv>();

  /** The opening as the chain recorded it: who opened it for whom, and the commitment. */
  async function openingOf(accessId: bigint) {
    const logs = await deps.client.getContractEvents({ address: deps.addresses.consent, abi: ConsentAbi, eventName: 'EmergencyAccessOpened', args: { accessId }, fromBlock: 'earliest', toBlock: 'latest' });
    const opened = logs.find((l) => l.args.accessId === accessId);
    if (!opened) fail(404, `no break-glass opening #${accessId} on chain`);
    return { patient: getAddress(opened!.args.patient!), provider: getAddress(opened!.args.provider!), reasonHash: opened!.args.reasonHash! as Hex };
  }

  // Auditors from the indexed AuditorSet events, each confirmed on chain now.
  app.get('/auditors', async (c) => {
    sessionOf(c);
    const rows = await deps.index.query<{ args: string }>(`SELECT args FROM chain_events WHERE contract = 'identity' AND name = 'AuditorSet' ORDER BY block_number, log_index`);
    const named = new Set(rows.map((r) => getAddress((JSON.parse(r.args) as { auditor: string }).auditor)));
    const identity = { address: deps.addresses.identity, abi: IdentityAbi } as const;
    const auditors: Array<{ address: Address; publicKey: Hex | null }> = [];
    for (const a of named) {
      if (!await deps.client.readContract({ ...identity, functionName: 'isAuditor', args: [a] })) continue;
      const key = await deps.client.readContract({ ...identity, functionName: 'encryptionKeyOf', args: [a] });
      auditors.push({ address: a, publicKey: /^0x0*$/.test(key) ? null : key });
    }
    return c.json({ auditors });
  });

  app.post('/emergencies/:accessId/reason', async (c) => {
    const s = sessionOf(c);
    const accessId = parse(uint, c.req.param('accessId'));
    const body = parse(depositReasonBody, await jsonBody(c));
    const opening = await openingOf(accessId);
    if (opening.provider !== s.address) fail(403, 'only the provider who opened this break-glass access may deposit its reason');
    const recipients = body.envelopes.map((e) => e.recipient);
    if (new Set(recipients).size !== recipients.length) fail(400, 'one envelope per recipient');
    if (!recipients.includes(opening.patient)) fail(400, 'an envelope for the patient is required: the patient must be able to read the reason');
    const stored = await deps.db.transaction(async (tx) => {
      const inserted = await tx.query<{ access_id: unknown }>(
        'INSERT INTO emergency_reasons (access_id, patient, provider, ciphertext) VALUES ($1, $2, $3, $4) ON CONFLICT (access_id) DO NOTHING RETURNING access_id',
        [accessId.toString(), opening.patient.toLowerCase(), opening.provider.toLowerCase(), body.ciphertext]);
      if (inserted.length === 0) return false;
      for (const e of body.envelopes) {
        await tx.query('INSERT INTO emergency_reason_envelopes (access_id, recipient, envelope) VALUES ($1, $2, $3)', [accessId.toString(), e.recipient.toLowerCase(), e.envelope]);
      }
      return true;
    });
    // Once stored, a reason is never replaced: what the patient and auditors read is what was first deposited.
    if (!stored) fail(409, `the reason of break-glass access #${accessId} is already stored`);
    await deps.audit.append({ actor: s.address, patient: opening.patient, action: 'break-glass-reason-deposit', purpose: 'emergency', outcome: 'allowed', reason: `access #${accessId}` });
    return c.json({ accessId: Number(accessId), recipients }, 201);
  });

  app.get('/emergencies/:accessId/reason', async (c) => {
    const s = sessionOf(c);
    const accessId = parse(uint, c.req.param('accessId'));
    const rows = await deps.index.query<{ patient: string; provider: string; ciphertext: string }>('SELECT patient, provider, ciphertext FROM emergency_reasons WHERE access_id = $1', [accessId.toString()]);
    const row = rows[0];
    if (!row) fail(404, `no stored reason for break-glass access #${accessId}`);
    const patient = getAddress(row!.patient);
    if (!mayReadBreakGlassReason(s, patient, row!.provider)) fail(403, "only the patient, the opening provider and auditors may read a break-glass reason");
    const envelopes = await deps.index.query<{ envelope: string }>('SELECT envelope FROM emergency_reason_envelopes WHERE access_id = $1 AND recipient = $2', [accessId.toString(), s.address.toLowerCase()]);
    if (!envelopes[0]) fail(404, 'the reason was not sealed to your key (auditors need an encryption key on chain when the access is opened)');
    const opening = await openingOf(accessId);
    await deps.audit.append({ actor: s.address, patient, action: 'break-glass-reason-read', purpose: 'audit', outcome: 'allowed', reason: `access #${accessId}` });
    return c.json({ accessId: Number(accessId), patient, provider: getAddress(row!.provider), reasonHash: opening.reasonHash, ciphertext: row!.ciphertext, envelope: envelopes[0]!.envelope });
  });

  return app;
}
