/**
 * `medchain export`: a patient's records as one FHIR R4 collection Bundle, every version opened and
 * integrity-checked here (the gateway never sees plaintext).
 */
import { Role } from '../../sdk/contracts.ts';
import { collectionBundle } from '../../sdk/fhirBundle.ts';
import { str, type Command } from '../command.ts';
import { CliError, writeFileAtomic } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { note } from '../output.ts';
import { openSession, roleOf } from '../session.ts';
import { parseAddress } from '../terms.ts';
import { openVersion } from './record.ts';

export const exportCommands: Command[] = [
  {
    name: 'export', summary: 'a patient\'s records as a FHIR Bundle, decrypted here',
    options: { out: { type: 'string' }, patient: { type: 'string' }, 'all-versions': { type: 'boolean' } },
    help: '  --out <file>              write the Bundle there (default stdout)\n  --patient <address>       another patient whose records you may read (default: you)\n  --all-versions            every version, not only the latest\n',
    async run({ values, global }) {
      const session = await openSession(global);
      const patient = str(values, 'patient') ? parseAddress(str(values, 'patient'), '--patient', global.dataDir) : session.address;
      if (patient === session.address && await roleOf(session, patient) !== Role.Patient) throw new CliError('you are not a patient: name one with --patient <address>', EXIT.usage);
      const { records } = await session.gateway.listRecords(patient);
      const entries = [];
      for (const r of records.filter((x) => !x.erased)) {
        const versions = values['all-versions'] ? Array.from({ length: r.latestVersion }, (_, i) => i + 1) : [r.latestVersion];
        for (const v of versions) {
          const opened = await openVersion(session, r.recordId, v);
          entries.push({ recordId: r.recordId, version: v, resource: JSON.parse(new TextDecoder().decode(opened.plaintext)) });
        }
      }
      const bundle = collectionBundle(entries);
      const text = `${JSON.stringify(bundle, null, 2)}\n`;
      const out = str(values, 'out');
      if (out) {
        writeFileAtomic(out, text);
        note(`exported ${entries.length} record version(s) of ${patient} to ${out}`);
      } else process.stdout.write(text);
    },
  },
];
