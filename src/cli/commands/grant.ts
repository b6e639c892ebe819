/**
 * `medchain grant create|revoke|extend|list`: the patient's timed consent. Create, revoke and
 * extend are signed by the patient as EIP-712 messages and relayed by the gateway (the hospital
 * pays), or sent as the patient's own transaction with --direct. A new live grant with read
 * permission also shares the keys of the patient's existing records in its scope with the grantee.
 */
import { parseEventLogs, type Address, type Hex } from 'viem';
import { blindTerms, type GrantDraft } from '../../sdk/blindScope.ts';
import { relayExtend } from '../../sdk/actions/relayExtend.ts';
import { relayGrant } from '../../sdk/actions/relayGrant.ts';
import { relayRevoke } from '../../sdk/actions/relayRevoke.ts';
import { ConsentAbi, type GrantTerms } from '../../sdk/contracts.ts';
import type { GrantView } from '../../sdk/gateway.ts';
import { shareWithGrantee } from '../../sdk/shareWithGrantee.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { duration, emit, isoTime, note, table } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { defaultScopeName, describeTerms, parseAddress, parseDuration, parseTime, TERMS_HELP, TERMS_OPTIONS, termsFrom, termsJson } from '../terms.ts';

const DIRECT_HELP = '  --direct                  send the patient\'s own transaction instead of a signature relayed by the gateway\n';

/** What the SDK's relayed consent actions take from the session: the patient signs with their unlocked key. */
const relayParams = (session: Session) => ({
  gateway: session.gateway, client: session.client, addresses: session.addresses, chainId: session.chainId, patient: session.address, signer: session.key.account,
});

/**
 * The time a window given as a duration counts from: now, read just before signing (after the key is
 * unlocked and the session signed in), and never before the chain's latest block, whose timestamp
 * the contract compares with.
 */
export async function signingNow(session: Session): Promise<number> {
  const latest = await session.client.getBlock({ blockTag: 'latest' });
  return Math.max(Math.floor(Date.now() / 1000), Number(latest.timestamp));
}

/** Prints the final terms on stderr before they are signed, so the patient sees exactly what they give. */
export function announceTerms(terms: GrantDraft, now: number): void {
  note(`signing a grant to ${terms.grantee}: ${describeTerms(terms, now)}`);
}

/** The grant as the chain holds it: its effective window (validFrom 0 became the including block's time). */
export async function grantOnChain(session: Session, grantId: number) {
  return session.client.readContract({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [BigInt(grantId)] });
}

/** Grants `terms` as the session's patient (relayed or direct); returns the grant id. Used by request approve too. */
export async function createGrant(session: Session, terms: GrantTerms, options: { direct: boolean; requestId?: bigint }): Promise<{ grantId: number; txHash: Hex }> {
  if (options.direct) {
    const receipt = options.requestId
      ? await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'approveRequest', args: [options.requestId, terms] })
      : await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'grant', args: [terms] });
    const created = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' })[0];
    return { grantId: Number(created!.args.grantId), txHash: receipt.transactionHash };
  }
  return relayGrant({ ...relayParams(session), terms, requestId: options.requestId });
}

/**
 * A category grant names the patient's blinded category: their records of that type written before
 * blinding still carry the public hash (`parsed.scopeValue`) and are not covered. Says so, with the way out.
 */
export async function noteLegacyRecords(session: Session, parsed: GrantDraft, terms: GrantTerms): Promise<void> {
  if (parsed.scopeValue === terms.scopeValue) return;
  const { records } = await session.gateway.listRecords(session.address);
  const legacy = records.filter((r) => !r.erased && r.category.toLowerCase() === parsed.scopeValue.toLowerCase());
  if (legacy.length === 0) return;
  note(`${legacy.length} ${defaultScopeName(parsed)} record(s) of yours predate blinded categories and are not covered by this grant; grant each with --scope record:<id> (${legacy.slice(0, 3).map((r) => r.recordId).join(', ')}${legacy.length > 3 ? ', …' : ''})`);
}

/** After a live read grant: the grantee gets envelopes for the existing records in scope. */
export async function shareAfterGrant(session: Session, terms: GrantTerms): Promise<number> {
  if (terms.validFrom !== 0n && Number(terms.validFrom) > Date.now() / 1000) return 0;
  return shareWithGrantee({
    gateway: session.gateway, client: session.client, addresses: session.addresses, patient: session.address,
    privateKeys: session.key.encryption.map((k) => k.privateKey), terms,
  });
}

const grantRow = (g: GrantView, now: number) => [
  String(g.grantId), g.state, g.patient, g.grantee, g.scope.kind === 'all' ? 'all' : g.scope.type ? `${g.scope.kind}:${g.scope.type}` : `${g.scope.kind}:${g.scope.value.slice(0, 10)}…`,
  [g.read ? 'read' : '', g.write ? 'write' : ''].filter(Boolean).join('+'), g.purpose, isoTime(g.validFrom), isoTime(g.validUntil),
  g.state === 'active' ? `${duration(g.validUntil - now)} left` : g.state === 'upcoming' ? `starts in ${duration(g.validFrom - now)}` : '',
];

function grantId(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new CliError(`a grant id is a whole number, got ${JSON.stringify(text)}`, EXIT.usage);
  return BigInt(text);
}

export const grantCommands: Command[] = [
  {
    name: 'grant create', summary: 'as a patient, grant a provider access to a scope of your records for a time window',
    options: { to: { type: 'string' }, direct: { type: 'boolean' }, ...TERMS_OPTIONS },
    help: `  --to <address>            the provider (required)\n${TERMS_HELP}${DIRECT_HELP}`,
    async run({ values, global }) {
      const grantee = parseAddress(str(values, 'to'), '--to', global.dataDir);
      termsFrom(values, grantee); // usage errors before the passphrase prompt
      const session = await openSession(global);
      const now = await signingNow(session);
      const parsed = termsFrom(values, grantee, now);
      announceTerms(parsed, now);
      // --scope <Type> and --purpose name them; on chain they are this patient's blinded category and purpose tag.
      const terms = await blindTerms(session.gateway, session.address, parsed);
      await noteLegacyRecords(session, parsed, terms);
      const { grantId: id, txHash } = await createGrant(session, terms, { direct: values.direct === true });
      const shared = await shareAfterGrant(session, terms);
      const g = await grantOnChain(session, id);
      emit(global.json, { grantId: id, txHash, grantee: terms.grantee, terms: termsJson({ ...terms, purpose: parsed.purpose }, defaultScopeName(parsed)), validFrom: Number(g.validFrom), validUntil: Number(g.validUntil), sharedVersions: shared },
        `grant #${id} to ${terms.grantee}: ${isoTime(g.validFrom)} → ${isoTime(g.validUntil)} (${duration(Number(g.validUntil - g.validFrom))} from the block that includes it)${shared ? ` (keys of ${shared} record version(s) shared)` : ''}`);
    },
  },
  {
    name: 'grant revoke', synopsis: '<grant-id>', arity: 1, summary: 'as a patient, end a live or upcoming grant now',
    options: { direct: { type: 'boolean' } }, help: DIRECT_HELP,
    async run({ args, values, global }) {
      const id = grantId(args[0]!);
      const session = await openSession(global);
      let txHash: Hex;
      if (values.direct) txHash = (await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'revoke', args: [id] })).transactionHash;
      else txHash = (await relayRevoke({ ...relayParams(session), grantId: id })).txHash;
      emit(global.json, { grantId: Number(id), revoked: true, txHash }, `grant #${id} revoked (tx ${txHash})`);
    },
  },
  {
    name: 'grant extend', synopsis: '<grant-id>', arity: 1, summary: 'as a patient, move a live or upcoming grant\'s end later',
    options: { for: { type: 'string' }, until: { type: 'string' }, direct: { type: 'boolean' } },
    help: `  --for <duration>          add this much to the current end (e.g. 1h)\n  --until <iso time>        the new end\n${DIRECT_HELP}`,
    async run({ args, values, global }) {
      const id = grantId(args[0]!);
      if (!str(values, 'for') === !str(values, 'until')) throw new CliError('grant extend needs --for <duration> or --until <iso time>', EXIT.usage);
      const add = str(values, 'for') ? parseDuration(str(values, 'for')!) : 0;
      const at = str(values, 'until') ? parseTime(str(values, 'until')!, '--until') : 0;
      const session = await openSession(global);
      const g = await session.client.readContract({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [id] });
      if (g.patient === '0x0000000000000000000000000000000000000000') throw new CliError(`no grant #${id}`);
      const validUntil = at ? BigInt(at) : g.validUntil + BigInt(add);
      let txHash: Hex;
      if (values.direct) txHash = (await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'extend', args: [id, validUntil] })).transactionHash;
      else txHash = (await relayExtend({ ...relayParams(session), grantId: id, validUntil })).txHash;
      emit(global.json, { grantId: Number(id), validUntil: Number(validUntil), txHash }, `grant #${id} now ends ${isoTime(validUntil)}`);
    },
  },
  {
    name: 'grant list', summary: 'grants by state: active, upcoming, expired, revoked (yours as patient or as grantee)',
    options: { patient: { type: 'string' }, grantee: { type: 'string' } },
    help: '  --patient <address>       grants of this patient (default: you, if you are a patient)\n  --grantee <address>       grants to this account (default: you, if you are a provider)\n',
    async run({ values, global }) {
      const session = await openSession(global);
      const query: { patient?: Address; grantee?: Address } = {};
      if (str(values, 'patient')) query.patient = parseAddress(str(values, 'patient'), '--patient', global.dataDir);
      if (str(values, 'grantee')) query.grantee = parseAddress(str(values, 'grantee'), '--grantee', global.dataDir);
      if (!query.patient && !query.grantee) {
        if (session.role === 'patient') query.patient = session.address;
        else query.grantee = session.address;
      }
      const grants = await session.gateway.grants(query);
      const counts = { active: grants.active.length, upcoming: grants.upcoming.length, expired: grants.expired.length, revoked: grants.revoked.length };
      if (!global.json && counts.active + counts.upcoming + counts.expired + counts.revoked === 0) note('no grants yet (the gateway indexes new ones within a second or two)');
      emit(global.json, grants, () => table(
        ['id', 'state', 'patient', 'grantee', 'scope', 'perm', 'purpose', 'from', 'until', ''],
        [...grants.active, ...grants.upcoming, ...grants.expired, ...grants.revoked].map((g) => grantRow(g, grants.now)),
      ) + `\n${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    },
  },
];
