/**
 * `medchain break-glass <patient> --reason …`: a provider opens emergency access to a patient who
 * cannot answer. The window (4 hours by default, set by the admins) ends by itself; the opening is
 * on chain, the patient is alerted and every read is in the audit trail. The reason's code
 * (unconscious, life-threatening, …) is public; its text goes on chain only as a salted commitment
 * (keccak256(salt ‖ reason), sdk/breakGlassReason.ts) and is kept in the gateway encrypted to the
 * patient, the provider and the auditors (the SDK's openBreakGlass action, sdk/actions/breakGlass.ts).
 *
 * `medchain break-glass reason <access-id>`: the patient, the provider or an auditor reads the
 * stated reason and checks it against the commitment on chain.
 */
import { EMERGENCY_REASONS } from '../../sdk/contracts.ts';
import { checkBreakGlassReason, readBreakGlassReason } from '../../sdk/breakGlassReason.ts';
import { openBreakGlass } from '../../sdk/actions/breakGlass.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, isoTime } from '../output.ts';
import { encryptionKey, openSession } from '../session.ts';
import { parseAddress } from '../terms.ts';

/** unconscious, life-threatening, incapacitated, other: the coded reasons in kebab case (committed and sealed with the text, never on chain). */
const CODES = EMERGENCY_REASONS.map((k) => k.replace(/[a-z](?=[A-Z])/g, (c) => `${c}-`).toLowerCase());

export const breakGlassCommands: Command[] = [
  {
    name: 'break-glass', synopsis: '<patient>', arity: 1, summary: 'as a provider, open emergency access to a patient (audited; ends by itself)',
    options: { reason: { type: 'string' }, code: { type: 'string' } },
    help: `  --reason <text>           why (required; a salted commitment goes on chain, the text encrypted to the patient and auditors)\n  --code <code>             ${CODES.join(' | ')} (default other)\n`,
    async run({ args, values, global }) {
      const patient = parseAddress(args[0], 'the patient', global.dataDir);
      const reason = str(values, 'reason')?.trim();
      if (!reason) throw new CliError('break-glass needs --reason "<why>"', EXIT.usage);
      const index = CODES.indexOf(str(values, 'code') ?? 'other');
      if (index < 0) throw new CliError(`--code must be one of ${CODES.join(', ')}`, EXIT.usage);
      const code = EMERGENCY_REASONS[index]!;
      try { checkBreakGlassReason(code, reason); } catch (error) { throw new CliError((error as Error).message, EXIT.usage); }
      const session = await openSession(global);
      const me = encryptionKey(session);
      const opened = await openBreakGlass({
        gateway: session.gateway, client: session.client, addresses: session.addresses, patient, provider: { address: session.address, publicKey: me.publicKey },
        code, reason, send: (call) => session.send(call as never),
      });
      const until = Number(opened.until);
      emit(global.json, { patient, accessId: Number(opened.accessId), until, reasonHash: opened.reasonHash, reasonReaders: opened.reasonReaders, txHash: opened.txHash },
        `emergency access #${opened.accessId} to ${patient} open until ${isoTime(until)} — every read is logged and the patient is alerted; the reason is sealed to ${opened.reasonReaders.length} readers`);
    },
  },
  {
    name: 'break-glass reason', synopsis: '<access-id>', arity: 1, summary: 'as the patient, the provider or an auditor, read a break-glass reason and check it against the chain',
    async run({ args, global }) {
      if (!/^\d{1,20}$/.test(args[0] ?? '')) throw new CliError('the access id is a number (see `grant list` / the emergency alert)', EXIT.usage);
      const session = await openSession(global);
      const r = await readBreakGlassReason({ gateway: session.gateway, client: session.client, addresses: session.addresses, accessId: BigInt(args[0]!), privateKey: encryptionKey(session).privateKey });
      const code = CODES[EMERGENCY_REASONS.indexOf(r.code)]!;
      emit(global.json, { accessId: Number(r.accessId), patient: r.patient, provider: r.provider, code, reason: r.reason, reasonHash: r.reasonHash, matchesChain: r.matchesChain, txHash: r.txHash },
        `break-glass #${r.accessId} by ${r.provider} for ${r.patient}: ${code}, "${r.reason}" — ${r.matchesChain ? 'matches the commitment on chain' : 'DOES NOT match the commitment on chain'}`);
      if (!r.matchesChain) process.exitCode = EXIT.runtime;
    },
  },
];
