/**
 * `medchain admin accredit|suspend|reinstate|incentives`: the security and access-control
 * department. Accreditation, reinstatement and parameter changes are governance actions
 * (Identity.approve): each admin's approval is a transaction; the action executes when the
 * threshold is reached. Suspension is one admin's call and takes effect at once.
 */
import { encodeFunctionData, formatUnits, parseEventLogs, parseUnits, type Address, type Hex } from 'viem';
import { ConsentAbi, IdentityAbi, IncentivesAbi, ProviderStatus, SuspensionReason } from '../../sdk/contracts.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT, RefusedError } from '../errors.ts';
import { duration, emit, table } from '../output.ts';
import { openSession, type Session } from '../session.ts';
import { parseAddress, parseDuration } from '../terms.ts';

const REASONS = Object.keys(SuspensionReason).map((k) => k.replace(/[a-z](?=[A-Z])/g, (c) => `${c}-`).toLowerCase());
const STATUS = Object.keys(ProviderStatus).map((k) => k.toLowerCase());

async function adminSession(global: Parameters<typeof openSession>[0]): Promise<Session> {
  const session = await openSession(global);
  const isAdmin = await session.client.readContract({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'isAdmin', args: [session.address] });
  if (!isAdmin) throw new RefusedError(`${session.address} is not an admin`);
  return session;
}

/** One admin's approval of a governance action; tells whether it executed. */
async function approve(session: Session, target: Address, data: Hex): Promise<{ executed: boolean; approvals: number; threshold: number; txHash: Hex }> {
  const receipt = await session.send({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'approve', args: [target, data] });
  const approved = parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'ActionApproved' })[0];
  const executed = parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'ActionExecuted' }).length > 0;
  return { executed, approvals: Number(approved?.args.approvals ?? 0n), threshold: Number(approved?.args.threshold ?? 0n), txHash: receipt.transactionHash };
}

const outcome = (what: string, r: Awaited<ReturnType<typeof approve>>) =>
  r.executed ? `${what}: done (tx ${r.txHash})` : `${what}: your approval is recorded (${r.approvals} of ${r.threshold}); it executes when ${r.threshold - r.approvals} more admin(s) approve`;

async function statusOf(session: Session, provider: Address): Promise<string> {
  return STATUS[Number(await session.client.readContract({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'providerStatus', args: [provider] }))] ?? 'none';
}

function governed(name: 'accredit' | 'reinstate', fn: 'accreditProvider' | 'reinstateProvider', needs: string): Command {
  return {
    name: `admin ${name}`, synopsis: '<provider>', arity: 1,
    summary: name === 'accredit' ? 'approve a provider\'s accreditation (governance: executes at the threshold)' : 'approve reinstating a suspended provider (governance)',
    async run({ args, global }) {
      const provider = parseAddress(args[0], 'the provider', global.dataDir);
      const session = await adminSession(global);
      const before = await statusOf(session, provider);
      if (before !== needs) throw new CliError(`${provider} is ${before === 'none' ? 'not a provider (it applies first with `medchain provider apply`)' : before}, not ${needs}`);
      const r = await approve(session, session.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: fn, args: [provider] }));
      emit(global.json, { provider, ...r, status: await statusOf(session, provider) }, outcome(`${name} ${provider}`, r));
    },
  };
}

export const adminCommands: Command[] = [
  governed('accredit', 'accreditProvider', 'pending'),
  {
    name: 'admin suspend', synopsis: '<provider>', arity: 1, summary: 'suspend a provider at once (one admin suffices)',
    options: { reason: { type: 'string' } }, help: `  --reason <reason>         ${REASONS.join(' | ')} (default other)\n`,
    async run({ args, values, global }) {
      const provider = parseAddress(args[0], 'the provider', global.dataDir);
      const reason = REASONS.indexOf(str(values, 'reason') ?? 'other');
      if (reason < 0) throw new CliError(`--reason must be one of ${REASONS.join(', ')}`, EXIT.usage);
      const session = await adminSession(global);
      const receipt = await session.send({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'suspendProvider', args: [provider, reason] });
      emit(global.json, { provider, status: 'suspended', txHash: receipt.transactionHash }, `${provider} suspended (tx ${receipt.transactionHash}); its grants hold nothing until reinstated`);
    },
  },
  governed('reinstate', 'reinstateProvider', 'suspended'),
  {
    name: 'admin incentives', summary: 'show incentive parameters and the provider leaderboard; with flags, approve new values',
    options: { 'author-reward': { type: 'string' }, 'producer-reward': { type: 'string' }, 'max-validators': { type: 'string' }, 'break-glass': { type: 'string' } },
    help: `  --author-reward <MED> --producer-reward <MED>   new rewards (both together)
  --max-validators <n>      validator set size (1-64)
  --break-glass <duration>  emergency access window (5m to 72h)
`,
    async run({ values, global }) {
      const session = await adminSession(global);
      const inc = { address: session.addresses.incentives, abi: IncentivesAbi } as const;
      const changes: string[] = [];
      const results: unknown[] = [];
      const author = str(values, 'author-reward');
      const producer = str(values, 'producer-reward');
      if ((author === undefined) !== (producer === undefined)) throw new CliError('give --author-reward and --producer-reward together', EXIT.usage);
      const med = (s: string, flag: string) => {
        if (!/^\d+(\.\d{1,18})?$/.test(s)) throw new CliError(`${flag} is a non-negative amount of MED, got ${JSON.stringify(s)}`, EXIT.usage);
        return parseUnits(s, 18);
      };
      const max = str(values, 'max-validators');
      if (max !== undefined && !(/^\d+$/.test(max) && Number(max) >= 1 && Number(max) <= 64)) throw new CliError('--max-validators is a whole number from 1 to 64', EXIT.usage);
      const bg = str(values, 'break-glass') ? parseDuration(str(values, 'break-glass')!, '--break-glass') : undefined;
      if (bg !== undefined && (bg < 300 || bg > 72 * 3600)) throw new CliError('--break-glass is between 5m and 72h', EXIT.usage);
      if (author !== undefined) {
        const r = await approve(session, inc.address, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewards', args: [med(author, '--author-reward'), med(producer!, '--producer-reward')] }));
        results.push({ change: 'rewards', ...r }); changes.push(outcome(`rewards ${author} / ${producer} MED`, r));
      }
      if (max !== undefined) {
        const r = await approve(session, inc.address, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setMaxValidators', args: [BigInt(max)] }));
        results.push({ change: 'maxValidators', ...r }); changes.push(outcome(`max validators ${max}`, r));
      }
      if (bg !== undefined) {
        const r = await approve(session, session.addresses.consent, encodeFunctionData({ abi: ConsentAbi, functionName: 'setBreakGlassDuration', args: [BigInt(bg)] }));
        results.push({ change: 'breakGlassDuration', ...r }); changes.push(outcome(`break-glass ${duration(bg)}`, r));
      }
      const [authorReward, producerReward, maxValidators, breakGlass] = await Promise.all([
        session.client.readContract({ ...inc, functionName: 'authorReward' }), session.client.readContract({ ...inc, functionName: 'producerReward' }),
        session.client.readContract({ ...inc, functionName: 'maxValidators' }),
        session.client.readContract({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'breakGlassDuration' }),
      ]);
      const { providers } = await session.gateway.providers();
      const params = { authorReward: formatUnits(authorReward, 18), producerReward: formatUnits(producerReward, 18), maxValidators: Number(maxValidators), breakGlassSeconds: Number(breakGlass) };
      emit(global.json, { changes: results, parameters: params, providers }, () => [
        ...changes,
        `author reward ${params.authorReward} MED, producer reward ${params.producerReward} MED, max validators ${params.maxValidators}, break-glass ${duration(params.breakGlassSeconds)}`,
        table(['provider', 'kind', 'status', 'score', 'MED'], providers.map((p) => [p.address, p.kind, p.status, String(p.score), formatUnits(BigInt(p.balance), 18)])),
      ].join('\n'));
    },
  },
];
