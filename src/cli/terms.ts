/**
 * Grant terms from command-line flags (`--to`, `--scope`, `--read`/`--write`, `--purpose`,
 * `--for`/`--until`, `--from`), shared by `grant create`, `request create` and `request approve`.
 */
import { getAddress, isAddress, type Address, type Hex } from 'viem';
import { Purpose, ScopeKind, ZERO_SCOPE, recordCategory, type GrantTerms } from '../sdk/contracts.ts';
import { str, type Options, type Values } from './command.ts';
import { CliError } from './dataDir.ts';
import { EXIT } from './errors.ts';

export const TERMS_OPTIONS: Options = {
  scope: { type: 'string' }, read: { type: 'boolean' }, write: { type: 'boolean' }, purpose: { type: 'string' },
  for: { type: 'string' }, until: { type: 'string' }, from: { type: 'string' },
};

export const PURPOSES = Object.keys(Purpose).map((p) => p.toLowerCase());

export const TERMS_HELP = `  --scope <scope>           all (default) | a FHIR resource type (Observation, Condition, …) | record:<record-id>
  --read, --write           permissions (default --read)
  --purpose <purpose>       ${PURPOSES.join(' | ')} (default treatment)
  --for <duration>          window length, e.g. 20s, 10m, 2h, 7d, 1h30m (default 24h)
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

export function parseAddress(text: string | undefined, what: string): Address {
  if (!text || !isAddress(text, { strict: false })) throw new CliError(`${what} must be a 0x-prefixed 20-byte address${text ? `, got ${JSON.stringify(text)}` : ''}`, EXIT.usage);
  return getAddress(text);
}

export function parseScope(text: string | undefined): { scopeKind: number; scopeValue: Hex } {
  if (!text || text === 'all') return { scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE };
  if (text.startsWith('record:')) {
    const id = text.slice(7);
    if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new CliError('--scope record:<id> takes a 0x-prefixed 32-byte record id', EXIT.usage);
    return { scopeKind: ScopeKind.Record, scopeValue: id.toLowerCase() as Hex };
  }
  if (!/^[A-Z][A-Za-z]+$/.test(text)) throw new CliError(`--scope is all, a FHIR resource type (e.g. Observation) or record:<id>; got ${JSON.stringify(text)}`, EXIT.usage);
  return { scopeKind: ScopeKind.Category, scopeValue: recordCategory(text) };
}

export function parsePurpose(text: string | undefined): number {
  const i = PURPOSES.indexOf((text ?? 'treatment').toLowerCase());
  if (i < 0) throw new CliError(`--purpose must be one of ${PURPOSES.join(', ')}`, EXIT.usage);
  return i;
}

/** The window [validFrom, validUntil] from --from / --for / --until (validFrom 0 = from the mining block). */
export function parseWindow(values: Values, now = Math.floor(Date.now() / 1000)): { validFrom: bigint; validUntil: bigint } {
  const fromText = str(values, 'from');
  const from = fromText ? parseTime(fromText, '--from') : 0;
  if (str(values, 'for') && str(values, 'until')) throw new CliError('give --for or --until, not both', EXIT.usage);
  const until = str(values, 'until') ? parseTime(str(values, 'until')!, '--until') : (from || now) + parseDuration(str(values, 'for') ?? '24h');
  if (until <= Math.max(from, now)) throw new CliError('the window must end in the future and after its start', EXIT.usage);
  return { validFrom: BigInt(from), validUntil: BigInt(until) };
}

export function termsFrom(values: Values, grantee: Address): GrantTerms {
  const read = values.read === true;
  const write = values.write === true;
  return {
    grantee, ...parseScope(str(values, 'scope')), permissions: (read || !write ? 1 : 0) | (write ? 2 : 0),
    purpose: parsePurpose(str(values, 'purpose')), ...parseWindow(values),
  };
}
