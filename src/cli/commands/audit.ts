/**
 * `medchain audit list|prove`: the gateway's access log about a patient or an actor, and an RFC 6962
 * inclusion proof of one entry checked here against the root and entry count anchored on chain
 * (the SDK's proveAuditEntry) — so the gateway's word is not needed.
 */
import { GatewayError } from '../../sdk/gateway.ts';
import { proveAuditEntry } from '../../sdk/actions/proveAuditEntry.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, isoTime, table } from '../output.ts';
import { openSession } from '../session.ts';
import { parseAddress } from '../terms.ts';

export const auditCommands: Command[] = [
  {
    name: 'audit list', summary: 'who accessed what: the access log about a patient (default: you) or an actor',
    options: { patient: { type: 'string' }, actor: { type: 'string' }, limit: { type: 'string' } },
    help: '  --patient <address>       entries about this patient\n  --actor <address>         entries by this account\n  --limit <n>               at most n entries\n',
    async run({ values, global }) {
      const session = await openSession(global);
      const limit = str(values, 'limit') ? Number(str(values, 'limit')) : undefined;
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit is a positive whole number', EXIT.usage);
      const query = str(values, 'actor') ? { actor: parseAddress(str(values, 'actor'), '--actor', global.dataDir) }
        : { patient: str(values, 'patient') ? parseAddress(str(values, 'patient'), '--patient', global.dataDir) : session.address };
      const { entries } = await session.gateway.audit({ ...query, limit });
      emit(global.json, entries, () => table(['seq', 'time', 'actor', 'patient', 'action', 'record', 'purpose', 'outcome'],
        entries.map((e) => [String(e.seq), isoTime(e.time), e.actor, e.patient, e.action, e.recordId ? `${e.recordId.slice(0, 12)}…` : '-', e.purpose, e.outcome === 'denied' ? `denied (${e.reason})` : e.outcome])));
    },
  },
  {
    name: 'audit prove', synopsis: '<seq>', arity: 1, summary: 'prove an access-log entry against the Merkle root anchored on chain',
    async run({ args, global }) {
      if (!/^\d+$/.test(args[0]!)) throw new CliError(`an entry is its sequence number (see audit list), got ${JSON.stringify(args[0])}`, EXIT.usage);
      const session = await openSession(global);
      let proven;
      try { proven = await proveAuditEntry({ gateway: session.gateway, client: session.client, addresses: session.addresses, seq: Number(args[0]) }); } catch (error) {
        if (error instanceof GatewayError && error.status === 404) throw new CliError(`entry ${args[0]} is not anchored yet (its period closes and is anchored within a minute) or does not exist`);
        throw error;
      }
      const { proof, anchor, verified: ok } = proven;
      emit(global.json, { seq: proof.entry.seq, periodId: proof.periodId, leafIndex: proof.leafIndex, treeSize: proof.treeSize, root: anchor.root, anchorTx: proof.anchorTx, gateway: proof.gateway, verified: ok, entry: proof.entry },
        ok ? `entry ${proof.entry.seq} is in period ${proof.periodId} (leaf ${proof.leafIndex} of ${proof.treeSize}); the path leads to root ${anchor.root} anchored on chain by ${proof.gateway}`
          : !proven.anchored ? `period ${proof.periodId} is not anchored on chain yet` : `entry ${proof.entry.seq}: the proof does NOT match the root anchored on chain`);
      if (!ok) process.exitCode = EXIT.runtime;
    },
  },
];
