/**
 * The provider directory (REST, under /api; public professional data, readable without signing in):
 * each provider's latest professional profile, signed by the provider's own key (EIP-712, see
 * src/sdk/providerProfile.ts) and verified here, with whether the chain commits to it (the
 * provider's `Identity` metadataHash equals the profile's EIP-712 hash, checked by the admin at
 * accreditation). Patients find providers by name; every screen shows names instead of addresses.
 *
 *   GET /api/directory/providers?q=text&status=active|pending|suspended|any&limit=n&offset=n
 *   GET /api/directory/providers?addresses=0x…,0x…          names for up to 100 addresses
 *   GET /api/directory/providers/:address
 *   PUT /api/directory/providers/:address  { profile: { displayName, kind, specialty, organization, licenceNumber, issuedAt }, signature }
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { getAddress, verifyTypedData, type Address, type Hex } from 'viem';
import { IdentityAbi, Role } from '../../sdk/contracts.ts';
import { providerLabel, providerProfileFields, providerProfileHash, providerProfileTypedData, type ProviderProfile } from '../../sdk/providerProfile.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { address, fail, jsonBody, parse, uint } from './validation.ts';

export const publishProfileBody = z.object({
  profile: providerProfileFields.extend({ issuedAt: uint }),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte 0x-hex signature'),
});

const listQuery = z.object({
  q: z.string().max(80, 'q is at most 80 characters').optional(),
  status: z.enum(['active', 'pending', 'suspended', 'any']).default('active'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** Profiles signed further ahead than this are refused (clock skew allowance). */
const FUTURE_SKEW_SECONDS = 300n;
const kinds = ['doctor', 'lab', 'hospital', 'pharmacy', 'other', 'research'];

interface Row {
  address: string; kind: number | string; status: string; display_name: string | null; specialty: string | null; organization: string | null;
  licence_number: string | null; profile_kind: string | null; issued_at: number | string | null; profile_hash: string | null;
}

const SELECT = `SELECT p.address, p.kind, p.status, f.display_name, f.specialty, f.organization, f.licence_number, f.kind AS profile_kind, f.issued_at, f.profile_hash
  FROM providers p LEFT JOIN provider_profiles f ON f.address = p.address`;

/** `%` and `_` are LIKE wildcards: a search for "50%" means the text. */
const likePattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

export function directoryRoutes(deps: DataRouteDeps & { chainId: number }) {
  const app = new Hono<GatewayEnv>();
  const identity = { address: deps.addresses.identity, abi: IdentityAbi } as const;

  const metadataHashOf = async (who: Address) => (await deps.client.readContract({ ...identity, functionName: 'accountOf', args: [who] })).metadataHash.toLowerCase();

  async function view(row: Row, committedHash?: string) {
    const address = getAddress(row.address);
    const profile = row.display_name === null ? null : {
      displayName: row.display_name, kind: row.profile_kind!, specialty: row.specialty ?? '', organization: row.organization!, licenceNumber: row.licence_number!,
      issuedAt: Number(row.issued_at), profileHash: row.profile_hash!,
    };
    const onChain = committedHash ?? await metadataHashOf(address);
    return {
      address, kind: kinds[Number(row.kind)] ?? 'other', status: row.status,
      label: profile ? providerLabel(profile) : null,
      profile,
      /** The chain commits to this exact profile (its hash is the provider's metadataHash). */
      committed: profile !== null && profile.profileHash === onChain,
    };
  }

  app.get('/directory/providers', async (c) => {
    const list = c.req.query('addresses');
    if (list !== undefined) {
      const wanted = [...new Set(list.split(',').filter(Boolean).map((a) => parse(address, a.trim()).toLowerCase()))];
      if (wanted.length === 0 || wanted.length > 100) fail(400, 'addresses: give 1 to 100 comma-separated addresses');
      const rows = await deps.index.query<Row>(`${SELECT} WHERE p.address IN (${wanted.map((_, i) => `$${i + 1}`).join(', ')})`, wanted);
      return c.json({ providers: await Promise.all(rows.map((r) => view(r))) });
    }
    const query = parse(listQuery, c.req.query());
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status !== 'any') { params.push(query.status); where.push(`p.status = $${params.length}`); }
    if (query.q && query.q.trim() !== '') { params.push(likePattern(query.q.trim())); where.push(`f.search_text LIKE $${params.length} ESCAPE '\\'`); }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await deps.index.query<{ total: number | string }>(`SELECT COUNT(*) AS total FROM providers p LEFT JOIN provider_profiles f ON f.address = p.address${clause}`, params) as [{ total: number | string }];
    const rows = await deps.index.query<Row>(`${SELECT}${clause} ORDER BY f.display_name IS NULL, f.display_name, p.address LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, query.limit, query.offset]);
    return c.json({ total: Number(total), limit: query.limit, offset: query.offset, providers: await Promise.all(rows.map((r) => view(r))) });
  });

  app.get('/directory/providers/:address', async (c) => {
    const who = parse(address, c.req.param('address'));
    const [row] = await deps.index.query<Row>(`${SELECT} WHERE p.address = $1`, [who.toLowerCase()]);
    if (!row) fail(404, 'no provider has applied with this address');
    return c.json(await view(row));
  });

  // The signature is the authority: only the provider's key can publish its profile, and a
  // replayed older profile cannot replace a newer one.
  app.put('/directory/providers/:address', async (c) => {
    const who = parse(address, c.req.param('address'));
    const body = parse(publishProfileBody, await jsonBody(c));
    const profile: ProviderProfile = { ...body.profile, provider: who };
    const valid = await verifyTypedData({ address: who, ...providerProfileTypedData(deps.chainId, profile), signature: body.signature as Hex }).catch(() => false);
    if (!valid) fail(403, `the signature is not ${who}'s over this profile (EIP-712 "MedChain Provider Profile", chain ${deps.chainId})`);
    const role = await deps.client.readContract({ ...identity, functionName: 'roleOf', args: [who] });
    if (Number(role) !== Role.Provider) fail(409, 'this address has not applied as a provider on chain: apply first (Identity.applyAsProvider), then publish the profile');
    if (profile.issuedAt > (await deps.access.clock()) + FUTURE_SKEW_SECONDS) fail(422, 'issuedAt is in the future: sign the profile with the current time');
    const [current] = await deps.index.query<{ issued_at: number | string }>('SELECT issued_at FROM provider_profiles WHERE address = $1', [who.toLowerCase()]);
    if (current && BigInt(current.issued_at) >= profile.issuedAt) fail(409, 'a newer (or the same) profile is already published: sign the new one with a later issuedAt');
    const hash = providerProfileHash(deps.chainId, profile).toLowerCase();
    const search = [profile.displayName, profile.specialty, profile.organization].join(' ').toLowerCase();
    const values = [who.toLowerCase(), profile.displayName, profile.kind, profile.specialty, profile.organization, profile.licenceNumber, profile.issuedAt.toString(), body.signature.toLowerCase(), hash, search];
    await deps.index.query(`INSERT INTO provider_profiles (address, display_name, kind, specialty, organization, licence_number, issued_at, signature, profile_hash, search_text)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (address) DO UPDATE SET display_name = $2, kind = $3, specialty = $4, organization = $5, licence_number = $6, issued_at = $7, signature = $8, profile_hash = $9, search_text = $10
      WHERE provider_profiles.issued_at < $7`, values);
    const committed = (await metadataHashOf(who)) === hash;
    return c.json({ address: who, profileHash: hash, committed, label: providerLabel(profile) }, 200);
  });

  return app;
}
