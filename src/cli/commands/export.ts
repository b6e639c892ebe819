/**
 * `medchain export`: a patient's records as one FHIR R4 collection Bundle, every version opened and
 * integrity-checked here (the SDK's exportRecords action; the gateway never sees plaintext).
 */
import { Role } from '../../sdk/contracts.ts';
import { exportRecords, RecordMismatchError } from '../../sdk/actions/exportRecords.ts';
import { str, type Command } from '../command.ts';
import { CliError, writeFileAtomic } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { note } from '../output.ts';
import { openSession, roleOf } from '../session.ts';
import { parseAddress } from '../terms.ts';

export const exportCommands: Command[] = [
  {
    name: 'export', summary: 'a patient\'s records as a FHIR Bundle, decrypted here',
    options: { out: { type: 'string' }, patient: { type: 'string' }, 'all-versions': { type: 'boolean' } },
    help: '  --out <file>              write the Bundle there (default stdout)\n  --patient <address>       another patient whose records you may read (default: you)\n  --all-versions            every version, not only the latest\n',
    async run({ values, global }) {
      const session = await openSession(global);
      const patient = str(values, 'patient') ? parseAddress(str(values, 'patient'), '--patient', global.dataDir) : session.address;
      if (patient === session.address && await roleOf(session, patient) !== Role.Patient) throw new CliError('you are not a patient: name one with --patient <address>', EXIT.usage);
      const { bundle, versions } = await exportRecords({
        gateway: session.gateway, client: session.client, addresses: session.addresses, patient,
        privateKeys: session.key.encryption.map((k) => k.privateKey), allVersions: values['all-versions'] === true,
      }).catch((error: unknown) => { throw error instanceof RecordMismatchError ? new CliError(error.message) : error; });
      const text = `${JSON.stringify(bundle, null, 2)}\n`;
      const out = str(values, 'out');
      if (out) {
        writeFileAtomic(out, text);
        note(`exported ${versions} record version(s) of ${patient} to ${out}`);
      } else process.stdout.write(text);
    },
  },
];
