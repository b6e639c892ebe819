/**
 * The indexed consent grants (table `grants`: index/schema.ts), read the one way every route reads
 * them. A grant's state at a moment is the contract's rule (Consent.grantState), written once here
 * as SQL. One SQL text for SQLite and PostgreSQL; addresses are stored lower-case.
 */
import type { Address } from 'viem';
import type { SqlExecutor } from '../db/sqlExecutor.ts';

export interface GrantRow {
  grant_id: number | string; patient: string; grantee: string; scope_kind: number | string; scope_value: string; permissions: number | string;
  purpose: string; valid_from: number | string; valid_until: number | string; request_id: number | string; revoked_block: unknown;
}
/** A row with the block that created the grant (Consent.dateTime is that block's time). */
export type IndexedGrantRow = GrantRow & { created_block: number | string };
/** A row with the grantee's directory profile, when they published one. */
export type GrantWithProfileRow = GrantRow & { display_name: string | null; specialty: string | null; organization: string | null };

/** SQL for each grant state at `now` (a placeholder); the same rule as Consent.grantState. */
const STATE_SQL = {
  active: (now: string, t = '') => `${t}revoked_block IS NULL AND ${t}valid_from <= ${now} AND ${t}valid_until > ${now}`,
  upcoming: (now: string, t = '') => `${t}revoked_block IS NULL AND ${t}valid_from > ${now}`,
  expired: (now: string, t = '') => `${t}revoked_block IS NULL AND ${t}valid_from <= ${now} AND ${t}valid_until <= ${now}`,
  revoked: (_now: string, t = '') => `${t}revoked_block IS NOT NULL`,
} as const;
export type GrantStateName = keyof typeof STATE_SQL;
export const GRANT_STATES = Object.keys(STATE_SQL) as GrantStateName[];

/** Which party of a grant an account is. */
export type GrantSide = 'patient' | 'grantee';

export function grantRepository(db: SqlExecutor) {
  return {
    /** A patient's grants, oldest first. */
    ofPatient: (patient: Address) => db.query<IndexedGrantRow>('SELECT * FROM grants WHERE patient = $1 ORDER BY grant_id', [patient.toLowerCase()]),

    /** One grant, or undefined when the indexer has not seen it. */
    async byId(grantId: number): Promise<IndexedGrantRow | undefined> {
      const [row] = await db.query<IndexedGrantRow>('SELECT * FROM grants WHERE grant_id = $1', [grantId]);
      return row;
    },

    /** The grants of a patient, to a grantee, or between both (at least one given), oldest first. */
    between(patient: Address | undefined, grantee: Address | undefined) {
      const where = [patient ? 'patient = $1' : undefined, grantee ? `grantee = $${patient ? 2 : 1}` : undefined].filter(Boolean).join(' AND ');
      return db.query<GrantRow>(`SELECT * FROM grants WHERE ${where} ORDER BY grant_id`, [patient, grantee].filter(Boolean).map((a) => a!.toLowerCase()));
    },

    /** Does the patient hold a grant to this grantee that is active at `now` (unix seconds)? */
    async hasActive(patient: Address, grantee: Address, now: number): Promise<boolean> {
      const [grant] = await db.query('SELECT 1 FROM grants WHERE patient = $1 AND grantee = $2 AND revoked_block IS NULL AND valid_from <= $3 AND valid_until > $3 LIMIT 1',
        [patient.toLowerCase(), grantee.toLowerCase(), now]);
      return grant !== undefined;
    },

    /** How many of an account's grants (lower-case address, on one side) are in each state at `now`. */
    async countsByState(side: GrantSide, account: string, now: bigint) {
      const column = side === 'grantee' ? 'g.grantee' : 'g.patient';
      const [counts] = await db.query<Record<GrantStateName, number | string | null>>(
        `SELECT ${Object.entries(STATE_SQL).map(([name, sql]) => `SUM(CASE WHEN ${sql('$2')} THEN 1 ELSE 0 END) AS ${name}`).join(', ')} FROM grants g WHERE ${column} = $1`, [account, now.toString()]);
      return counts;
    },

    /** One page of an account's grants in one state at `now`, newest first, with the grantee's profile. */
    inState(side: GrantSide, account: string, state: GrantStateName, now: bigint, limit: number, offset: number) {
      const column = side === 'grantee' ? 'g.grantee' : 'g.patient';
      // Every placeholder is used (PostgreSQL cannot type an unused one): "revoked" does not need now.
      const timed = state !== 'revoked';
      return db.query<GrantWithProfileRow>(
        `SELECT g.*, f.display_name, f.specialty, f.organization FROM grants g LEFT JOIN provider_profiles f ON f.address = g.grantee
       WHERE ${column} = $1 AND ${STATE_SQL[state](timed ? '$4' : '', 'g.')} ORDER BY g.grant_id DESC LIMIT $2 OFFSET $3`,
        timed ? [account, limit, offset, now.toString()] : [account, limit, offset]);
    },

    /**
     * The patients whose records are open to a provider (lower-case address) at `now` (a decimal
     * string): an active read grant or a live break-glass; soonest-ending first, one page, and the total.
     */
    async openTo(provider: string, now: string, limit: number, offset: number) {
      const open = `
      SELECT patient, valid_until AS until, 0 AS emergency FROM grants WHERE grantee = $1 AND ${STATE_SQL.active('$2')} AND (permissions & 1) = 1
      UNION ALL
      SELECT patient, until_time AS until, 1 AS emergency FROM emergencies WHERE provider = $1 AND closed_by IS NULL AND until_time > $2`;
      const [count] = await db.query<{ total: number | string }>(`SELECT COUNT(DISTINCT patient) AS total FROM (${open}) t`, [provider, now]);
      const rows = await db.query<{ patient: string; until: number | string; emergency: number | string }>(
        `SELECT patient, MAX(until) AS until, MAX(emergency) AS emergency FROM (${open}) t GROUP BY patient ORDER BY MAX(until), patient LIMIT $3 OFFSET $4`,
        [provider, now, limit, offset]);
      return { total: Number(count?.total ?? 0), rows };
    },
  };
}

export type GrantRepository = ReturnType<typeof grantRepository>;
