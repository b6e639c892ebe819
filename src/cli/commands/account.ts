/**
 * `medchain patient register` and `medchain provider apply`: put the acting account on chain with
 * its public encryption key (nothing else: no health information is ever on chain). The account
 * signs an EIP-712 registration that the gateway relays and then admits the account to the chain's
 * allowlist, so a fresh key needs no transaction (and no allowlist entry) of its own. A provider is
 * then accredited by the admins (`medchain admin accredit`).
 */
import { keccak256, toHex } from 'viem';
import { ProviderKind, Role } from '../../sdk/contracts.ts';
import { registerThroughGateway } from '../../sdk/onboarding.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit } from '../output.ts';
import { encryptionKey, openSession, roleName, roleOf } from '../session.ts';

const KINDS = Object.keys(ProviderKind).map((k) => k.toLowerCase());

export const accountCommands: Command[] = [
  {
    name: 'patient register', summary: 'register the --key account as a patient (its public encryption key goes on chain)',
    async run({ global }) {
      const session = await openSession(global);
      const current = await roleOf(session, session.address);
      if (current !== Role.None) throw new CliError(`${session.address} is already registered (${roleName(current)})`, EXIT.runtime);
      const { txHash } = await registerThroughGateway(session.gateway, session.key.account, {
        role: 'patient', encryptionKey: toHex(encryptionKey(session).publicKey), metadataHash: keccak256(toHex('medchain-patient')),
      });
      emit(global.json, { address: session.address, role: 'patient', txHash }, `registered ${session.address} as a patient (tx ${txHash})`);
    },
  },
  {
    name: 'provider apply', summary: 'apply as a provider with the --key account (the admins then accredit it)',
    options: { kind: { type: 'string' } },
    help: `  --kind <kind>             ${KINDS.join(' | ')} (default doctor)\n`,
    async run({ values, global }) {
      const kindName = (str(values, 'kind') ?? 'doctor').toLowerCase();
      const kind = KINDS.indexOf(kindName);
      if (kind < 0) throw new CliError(`--kind must be one of ${KINDS.join(', ')}`, EXIT.usage);
      const session = await openSession(global);
      const current = await roleOf(session, session.address);
      if (current !== Role.None) throw new CliError(`${session.address} is already registered (${roleName(current)})`, EXIT.runtime);
      const { txHash } = await registerThroughGateway(session.gateway, session.key.account, {
        role: 'provider', kind, encryptionKey: toHex(encryptionKey(session).publicKey), metadataHash: keccak256(toHex('medchain-provider')),
      });
      emit(global.json, { address: session.address, role: 'provider', status: 'pending', kind: kindName, txHash },
        `${session.address} applied as a provider (${kindName}); an admin accredits it with: medchain admin accredit ${session.address}`);
    },
  },
];
