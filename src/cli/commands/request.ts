/**
 * `medchain request create|approve|reject|list`: a provider asks a patient for access; the patient
 * approves (a grant with the requested or amended terms, relayed like `grant create`) or rejects.
 */
import { parseEventLogs } from 'viem';
import { blindTerms, purposeOfTag, withPurposeTag, type GrantDraft } from '../../sdk/blindScope.ts';
import { ConsentAbi, RequestStatus } from '../../sdk/contracts.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, isoTime, table } from '../output.ts';
import { openSession } from '../session.ts';
import { amendedTerms, defaultScopeName, describeTerms, parseAddress, TERMS_HELP, TERMS_OPTIONS, termsFrom, termsJson } from '../terms.ts';
import { announceTerms, createGrant, grantOnChain, noteLegacyRecords, shareAfterGrant, signingNow } from './grant.ts';

function requestId(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new CliError(`a request id is a whole number, got ${JSON.stringify(text)}`, EXIT.usage);
  return BigInt(text);
}

export const requestCommands: Command[] = [
  {
    name: 'request create', summary: 'as a provider, ask a patient for access (the patient approves or rejects)',
    options: { patient: { type: 'string' }, ...TERMS_OPTIONS },
    help: `  --patient <address>       the patient (required)\n${TERMS_HELP}`,
    async run({ values, global }) {
      const patient = parseAddress(str(values, 'patient'), '--patient', global.dataDir);
      const session = await openSession(global);
      // The purpose goes on chain as this patient's tag for us, which the gateway gives the grantee itself.
      const terms = await withPurposeTag(session.gateway, patient, termsFrom(values, session.address));
      const receipt = await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'requestAccess', args: [patient, terms] });
      const event = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'AccessRequested' })[0];
      const id = Number(event!.args.requestId);
      emit(global.json, { requestId: id, patient, txHash: receipt.transactionHash }, `request #${id} sent to ${patient}`);
    },
  },
  {
    name: 'request approve', synopsis: '<request-id>', arity: 1,
    summary: 'as the patient, approve a request (with its own terms, or amended by the flags)',
    options: { direct: { type: 'boolean' }, ...TERMS_OPTIONS },
    help: `${TERMS_HELP}  (every term not given keeps its requested value; without --for/--until the requested window is kept)\n  --direct                  your own transaction instead of a relayed signature\n`,
    async run({ args, values, global }) {
      const id = requestId(args[0]!);
      const session = await openSession(global);
      const r = await session.client.readContract({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'getRequest', args: [id] });
      if (r.status !== RequestStatus.Pending) throw new CliError(`request #${id} is not pending`);
      // The requested purpose is a tag on chain: decoded with this patient's tags for the requester.
      const purpose = await purposeOfTag(session.gateway, session.address, r.provider, r.terms.purpose);
      if (!purpose && str(values, 'purpose') === undefined) throw new CliError(`request #${id} states a purpose tag no purpose of yours makes (made without your key?): give --purpose`, EXIT.usage);
      const requested: GrantDraft = { ...r.terms, grantee: r.provider, purpose: purpose ?? 'Other' };
      amendedTerms(requested, values); // usage errors first
      const now = await signingNow(session);
      const amended = amendedTerms(requested, values, now);
      announceTerms(amended, now);
      // A requested category scope is the public hash of the type (the provider holds no key): blinded here, with the purpose tag.
      const terms = await blindTerms(session.gateway, session.address, amended);
      await noteLegacyRecords(session, amended, terms);
      const { grantId, txHash } = await createGrant(session, terms, { direct: values.direct === true, requestId: id });
      const shared = await shareAfterGrant(session, terms);
      const g = await grantOnChain(session, grantId);
      emit(global.json, { requestId: Number(id), grantId, txHash, requested: termsJson(requested), terms: termsJson({ ...terms, purpose: amended.purpose }, defaultScopeName(amended)), validFrom: Number(g.validFrom), validUntil: Number(g.validUntil), sharedVersions: shared },
        `request #${id} approved: grant #${grantId}, ${describeTerms({ ...amended, validFrom: g.validFrom }, now)}`);
    },
  },
  {
    name: 'request reject', synopsis: '<request-id>', arity: 1, summary: 'as the patient, reject a request',
    async run({ args, global }) {
      const id = requestId(args[0]!);
      const session = await openSession(global);
      const receipt = await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'rejectRequest', args: [id] });
      emit(global.json, { requestId: Number(id), rejected: true, txHash: receipt.transactionHash }, `request #${id} rejected`);
    },
  },
  {
    name: 'request list', summary: 'access requests you made (provider) or received (patient)',
    async run({ global }) {
      const session = await openSession(global);
      const query = session.role === 'patient' ? { patient: session.address } : { provider: session.address };
      const { requests } = await session.gateway.requests(query);
      emit(global.json, requests, () => table(['id', 'status', 'patient', 'provider', 'purpose', 'until'],
        requests.map((r) => [String(r.requestId), String(r.status), String(r.patient), String(r.provider), String(r.purpose), isoTime(r.validUntil as number)])));
    },
  },
];
