/**
 * `medchain break-glass <patient> --reason …`: a provider opens emergency access to a patient who
 * cannot answer. The window (4 hours by default, set by the admins) ends by itself; the opening is
 * on chain, the patient is alerted and every read is in the audit trail. The reason's text is hashed
 * on chain; its code (unconscious, life-threatening, …) is public.
 */
import { keccak256, parseEventLogs, toHex } from 'viem';
import { ConsentAbi, EmergencyReason } from '../../sdk/contracts.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, isoTime } from '../output.ts';
import { openSession } from '../session.ts';
import { parseAddress } from '../terms.ts';

/** unconscious, life-threatening, incapacitated, other: the EmergencyReason enum in kebab case. */
const CODES = Object.keys(EmergencyReason).map((k) => k.replace(/[a-z](?=[A-Z])/g, (c) => `${c}-`).toLowerCase());

export const breakGlassCommands: Command[] = [
  {
    name: 'break-glass', synopsis: '<patient>', arity: 1, summary: 'as a provider, open emergency access to a patient (audited; ends by itself)',
    options: { reason: { type: 'string' }, code: { type: 'string' } },
    help: `  --reason <text>           why (required; its hash goes on chain)\n  --code <code>             ${CODES.join(' | ')} (default other)\n`,
    async run({ args, values, global }) {
      const patient = parseAddress(args[0], 'the patient', global.dataDir);
      const reason = str(values, 'reason')?.trim();
      if (!reason) throw new CliError('break-glass needs --reason "<why>"', EXIT.usage);
      const code = CODES.indexOf(str(values, 'code') ?? 'other');
      if (code < 0) throw new CliError(`--code must be one of ${CODES.join(', ')}`, EXIT.usage);
      const session = await openSession(global, { signIn: false });
      const receipt = await session.send({ address: session.addresses.consent, abi: ConsentAbi, functionName: 'openEmergencyAccess', args: [patient, code, keccak256(toHex(reason))] });
      const opened = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessOpened' })[0];
      const until = Number(opened?.args.until ?? 0n);
      emit(global.json, { patient, accessId: Number(opened?.args.accessId ?? 0n), until, txHash: receipt.transactionHash },
        `emergency access to ${patient} open until ${isoTime(until)} — every read is logged and the patient is alerted`);
    },
  },
];
