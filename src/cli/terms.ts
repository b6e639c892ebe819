/**
 * Grant terms from command-line flags (`--to`, `--scope`, `--read`/`--write`, `--purpose`,
 * `--for`/`--until`, `--from`), shared by `grant create`, `request create` and `request approve`.
 */
import { getAddress, isAddress, type Address, type Hex } from 'viem';
import { PURPOSES as PURPOSE_NAMES, ScopeKind, ZERO_SCOPE, recordCategory, type GrantTerms, type PurposeName } from '../sdk/contracts.ts';
import type { GrantDraft } from '../sdk/blindScope.ts';
import { RECORD_TYPES, isRecordType } from '../sdk/recordTypes.ts';
import { str, type Options, type Values } from './command.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, paths } from './dataDir.ts';
import { readKeyBundle } from './keyFile.ts';
import { EXIT } from './errors.ts';
import { duration } from './output.ts';

export const TERMS_OPTIONS: Options = {
  scope: { type: 'string' }, read: { type: 'boolean' }, write: { type: 'boolean' }, purpose: { type: 'string' },
  for: { type: 'string' }, until: { type: 'string' }, from: { type: 'string' }, permissions: { type: 'string' },
};

export const PURPOSES = PURPOSE_NAMES.map((p) => p.toLowerCase());

export const TERMS_HELP = `  --scope <scope>           all (default) | a FHIR resource type (Observation, Condition, …) | record:<record-id>
  --read, --write           permissions (default --read; approving a request: added to the requested ones)
  --permissions <p>         exactly these permissions: read | write | read+write
  --purpose <purpose>       ${PURPOSES.join(' | ')} (default treatment)
  --for <duration>          window length, e.g. 20s, 10m, 2h, 7d, 1h30m (default 24h), counted from just
                            before signing; the exact end is printed before the signature
  --until <iso time>        window end instead of --for, e.g. 2026-12-01T18:00:00Z
  --from <iso time>         window start (default now)
`;

/** "1h30m" → 5400. */
export function parseDuration(text: string, flag = '--for'): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  const seconds = m && text.trim() !== '' ? Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0) : NaN;
  if (!(seconds > 0)) throw new CliError(`${flag} takes a duration like 20s, 10m, 2h, 7d or 1h30m; got ${JSON.stringify(text)}`, EXIT.usage);
  return seconds;
}

export function parseTime(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new CliError(`${flag} takes an ISO 8601 time such as 2026-12-01T18:00:00Z; got ${JSON.stringify(text)}`, EXIT.usage);
  return Math.floor(ms / 1000);
}

/**
 * An account given on the command line: a 0x address, or — with `dataDir` — the name of a key file
 * in <data-dir>/keys (`--to drbob`), whose public address is read without unlocking it.
 */
export function parseAddress(text: string | undefined, what: string, dataDir?: string): Address {
  if (text && isAddress(text, { strict: false })) return getAddress(text);
  const named = text && dataDir && /^[\w.-]+$/.test(text) ? join(paths(dataDir).keys, text.endsWith('.json') ? text : `${text}.json`) : undefined;
  if (named && existsSync(named)) return getAddress(readKeyBundle(named).address);
  const hint = dataDir ? ' or the name of a key file in ' + paths(dataDir).keys : '';
  throw new CliError(`${what} must be a 0x-prefixed 20-byte address${hint}${text ? `, got ${JSON.stringify(text)}` : ''}`, EXIT.usage);
}

export function parseScope(text: string | undefined): { scopeKind: number; scopeValue: Hex } {
  if (!text || text === 'all') return { scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE };
  if (text.startsWith('record:')) {
    const id = text.slice(7);
    if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new CliError('--scope record:<id> takes a 0x-prefixed 32-byte record id', EXIT.usage);
    return { scopeKind: ScopeKind.Record, scopeValue: id.toLowerCase() as Hex };
  }
  if (!isRecordType(text)) {
    const near = RECORD_TYPES.find((t) => t.toLowerCase() === text.toLowerCase());
    throw new CliError(`--scope ${JSON.stringify(text)} is not a record category${near ? ` (did you mean ${near}?)` : ''}: use all, record:<id> or one of ${RECORD_TYPES.join(', ')}`, EXIT.usage);
  }
  return { scopeKind: ScopeKind.Category, scopeValue: recordCategory(text) };
}

/** The purpose by name; it goes on chain only as a tag under the patient's key (sdk/blindScope.ts withPurposeTag). */
export function parsePurpose(text: string | undefined): PurposeName {
  const i = PURPOSES.indexOf((text ?? 'treatment').toLowerCase());
  if (i < 0) throw new CliError(`--purpose must be one of ${PURPOSES.join(', ')}`, EXIT.usage);
  return PURPOSE_NAMES[i]!;
}

/**
 * The window [validFrom, validUntil] from --from / --for / --until (validFrom 0 = from the block that
 * includes the grant). `--for` counts from `now`, so callers pass the time just before signing (see
 * finalTerms): the slower steps (unlocking the key, signing in) must not eat into the window.
 */
export function parseWindow(values: Values, now = Math.floor(Date.now() / 1000), defaultFrom = 0): { validFrom: bigint; validUntil: bigint } {
  const fromText = str(values, 'from');
  const from = fromText ? parseTime(fromText, '--from') : defaultFrom > now ? defaultFrom : 0;
  if (str(values, 'for') && str(values, 'until')) throw new CliError('give --for or --until, not both', EXIT.usage);
  const until = str(values, 'until') ? parseTime(str(values, 'until')!, '--until') : (from || now) + parseDuration(str(values, 'for') ?? '24h');
  if (until <= Math.max(from, now)) throw new CliError('the window must end in the future and after its start', EXIT.usage);
  return { validFrom: BigInt(from), validUntil: BigInt(until) };
}

const PERMISSIONS: Record<string, number> = { read: 1, write: 2, 'read+write': 3, 'write+read': 3, 'read,write': 3 };

/**
 * Permission bits from the flags: --permissions sets them exactly; --read/--write add to `base`
 * (nothing for a new grant, the requested ones when approving a request); default read.
 */
export function parsePermissions(values: Values, base = 0): number {
  const exact = str(values, 'permissions');
  if (exact !== undefined) {
    const bits = PERMISSIONS[exact.toLowerCase()];
    if (!bits) throw new CliError(`--permissions is read, write or read+write; got ${JSON.stringify(exact)}`, EXIT.usage);
    if (values.read || values.write) throw new CliError('give --permissions or --read/--write, not both', EXIT.usage);
    return bits;
  }
  const bits = base | (values.read === true ? 1 : 0) | (values.write === true ? 2 : 0);
  return bits || 1;
}

export function termsFrom(values: Values, grantee: Address, now = Math.floor(Date.now() / 1000)): GrantDraft {
  return {
    grantee, ...parseScope(str(values, 'scope')), permissions: parsePermissions(values),
    purpose: parsePurpose(str(values, 'purpose')), ...parseWindow(values, now),
  };
}

const WINDOW_FLAGS = ['for', 'until', 'from'] as const;

/**
 * The terms of a grant approving a request: the requested ones, with only what the patient changed
 * explicitly replaced — a flag never resets another term to its default (--write keeps the requested
 * scope and read permission). Without window flags the requested window is kept, or, if it has
 * already ended, 24 h from now.
 */
export function amendedTerms(requested: GrantDraft, values: Values, now = Math.floor(Date.now() / 1000)): GrantDraft {
  const scope = str(values, 'scope') !== undefined ? parseScope(str(values, 'scope')) : { scopeKind: requested.scopeKind, scopeValue: requested.scopeValue };
  const purpose = str(values, 'purpose') !== undefined ? parsePurpose(str(values, 'purpose')) : requested.purpose;
  const permissions = parsePermissions(values, str(values, 'permissions') !== undefined ? 0 : requested.permissions);
  let window = { validFrom: requested.validFrom, validUntil: requested.validUntil };
  if (WINDOW_FLAGS.some((k) => values[k] !== undefined)) {
    const keepUntil = values.for === undefined && values.until === undefined ? { until: new Date(Number(requested.validUntil) * 1000).toISOString() } : {};
    window = parseWindow({ ...values, ...keepUntil }, now, Number(requested.validFrom));
  } else if (Number(requested.validUntil) <= now) {
    window = parseWindow({ for: '24h' }, now);
  }
  return { grantee: requested.grantee, ...scope, permissions, purpose, ...window };
}

/** The terms in words, as printed before signing: "read+write · Condition · treatment · now → 2026-…Z (30m)". */
export function describeTerms(terms: GrantDraft, now = Math.floor(Date.now() / 1000), scopeName: (terms: GrantDraft) => string = defaultScopeName): string {
  const perms = [terms.permissions & 1 ? 'read' : '', terms.permissions & 2 ? 'write' : ''].filter(Boolean).join('+');
  const start = terms.validFrom === 0n ? 'from the block that includes it' : `from ${iso(terms.validFrom)}`;
  const startAt = terms.validFrom === 0n ? now : Number(terms.validFrom);
  return `${perms} · ${scopeName(terms)} · ${terms.purpose.toLowerCase()} · ${start} until ${iso(terms.validUntil)} (${duration(Number(terms.validUntil) - startAt)})`;
}

const iso = (unix: bigint | number) => new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z');

/** "all records", "record 0x…", the type of a legacy category hash, or "category 0x…" (a blinded one: see scopeOf in the commands). */
export function defaultScopeName(terms: Pick<GrantTerms, 'scopeKind' | 'scopeValue'>): string {
  if (terms.scopeKind === ScopeKind.All) return 'all records';
  if (terms.scopeKind === ScopeKind.Record) return `record ${terms.scopeValue}`;
  return RECORD_TYPES.find((t) => recordCategory(t) === terms.scopeValue) ?? `category ${terms.scopeValue}`;
}

/** The terms as JSON for --json output (bigints as numbers, names for enums). */
export function termsJson(terms: GrantDraft, scope = defaultScopeName(terms)) {
  return {
    grantee: terms.grantee, scope, read: (terms.permissions & 1) !== 0, write: (terms.permissions & 2) !== 0,
    purpose: terms.purpose.toLowerCase(), validFrom: Number(terms.validFrom), validUntil: Number(terms.validUntil),
  };
}
