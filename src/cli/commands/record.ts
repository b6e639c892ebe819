/**
 * `medchain record add|get|list|history|verify|erase`. Records are encrypted and decrypted here,
 * never by the gateway: `add` seals a FHIR JSON resource (or wraps any other file as a FHIR Binary),
 * uploads the ciphertext, registers the version on chain signed by the author and deposits the key
 * envelopes; `get` opens a version with the reader's own envelope (or break-glass escrow) and checks
 * it against the integrity hash on chain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Address, Hex } from 'viem';
import { RecordRegistryAbi, Role } from '../../sdk/contracts.ts';
import { RECORD_TYPES, isRecordType, recordTypeOf } from '../../sdk/recordTypes.ts';
import { readRecordVersion } from '../../sdk/readRecord.ts';
import { writeRecordVersion } from '../../sdk/writeRecord.ts';
import { str, type Command } from '../command.ts';
import { CliError, writeFileAtomic } from '../dataDir.ts';
import { EXIT, RefusedError } from '../errors.ts';
import { emit, isoTime, table } from '../output.ts';
import { encryptionKey, openSession, roleOf, type Session } from '../session.ts';
import { parseAddress } from '../terms.ts';

/** A record's type as the gateway mapped its blinded category (or a legacy hash's type), else the raw category. */
export const categoryName = (r: { category: Hex; type?: string | null }) => r.type ?? recordTypeOf(r.category) ?? r.category;

const MIME: Record<string, string> = { '.pdf': 'application/pdf', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.txt': 'text/plain', '.dcm': 'application/dicom', '.xml': 'application/xml', '.csv': 'text/csv' };

export function recordId(text: string | undefined): Hex {
  if (!text || !/^0x[0-9a-fA-F]{64}$/.test(text)) throw new CliError(`a record id is 0x followed by 64 hex digits${text ? `, got ${JSON.stringify(text)}` : ''}`, EXIT.usage);
  return text.toLowerCase() as Hex;
}

function versionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CliError(`--version is a whole number from 1, got ${JSON.stringify(text)}`, EXIT.usage);
  return Number(text);
}

/**
 * A FHIR JSON file as it is, or any other file as a FHIR R4 Binary (§Binary: contentType + base64
 * data). A FHIR resource must be one of the record types and valid R4 (the gateway's validator, from
 * the SDK): an invalid one is refused here, before anything is encrypted or sent.
 */
export async function resourceFromFile(file: string, contentType?: string): Promise<{ resourceType: string; plaintext: Uint8Array }> {
  const bytes = readFileSync(file);
  if (extname(file).toLowerCase() === '.json' && !contentType) {
    let resource: { resourceType?: unknown };
    try { resource = JSON.parse(bytes.toString('utf8')); } catch { throw new CliError(`${file} is not valid JSON (pass --content-type to store it as an attachment)`, EXIT.usage); }
    if (typeof resource !== 'object' || resource === null || typeof resource.resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(resource.resourceType)) throw new CliError(`${file} is not a FHIR resource (no resourceType)`, EXIT.usage);
    if (!isRecordType(resource.resourceType)) throw new CliError(`${file}: ${resource.resourceType} is not a record type; one of ${RECORD_TYPES.join(', ')}`, EXIT.usage);
    // Loaded only here: the R4 definitions take a second or two to index.
    const { FhirValidationError, validateFhirResource } = await import('../../sdk/validateResource.ts');
    try { validateFhirResource(resource); } catch (error) {
      if (error instanceof FhirValidationError) throw new CliError(`${file} is not valid FHIR R4: ${error.message}`, EXIT.usage);
      throw error;
    }
    return { resourceType: resource.resourceType, plaintext: new TextEncoder().encode(JSON.stringify(resource)) };
  }
  const binary = { resourceType: 'Binary', contentType: contentType ?? MIME[extname(file).toLowerCase()] ?? 'application/octet-stream', data: bytes.toString('base64'), meta: { tag: [{ display: basename(file) }] } };
  return { resourceType: 'Binary', plaintext: new TextEncoder().encode(JSON.stringify(binary)) };
}

/** Whose record: --patient, or the acting account when it is a patient. */
async function patientOf(session: Session, value: string | undefined, dataDir: string): Promise<Address> {
  if (value) return parseAddress(value, '--patient', dataDir);
  if (await roleOf(session, session.address) === Role.Patient) return session.address;
  throw new CliError('name the patient with --patient <address> (you are not a patient)', EXIT.usage);
}

export async function openVersion(session: Session, id: Hex, version?: number) {
  const detail = await session.gateway.getRecord(id);
  if (detail.erasedAt) throw new CliError(`record ${id} was erased at ${isoTime(detail.erasedAt)}; only its tombstone is left`);
  const opened = await readRecordVersion({ gateway: session.gateway, client: session.client, addresses: session.addresses, recordId: id, version, privateKeys: session.key.encryption.map((k) => k.privateKey) });
  if (!opened.integrityVerified || !opened.contentIdVerified) throw new CliError(`record ${id} v${opened.version} does NOT match the chain (${!opened.contentIdVerified ? 'ciphertext content id' : 'integrity hash'} differs)`);
  return opened;
}

export const recordCommands: Command[] = [
  {
    name: 'record add', synopsis: '<fhir.json | file>', arity: 1,
    summary: 'encrypt a FHIR resource (or attach any file as a FHIR Binary), register it on chain, deposit its key envelopes',
    options: { patient: { type: 'string' }, update: { type: 'string' }, 'content-type': { type: 'string' }, 'no-escrow': { type: 'boolean' } },
    help: `  --patient <address>       whose record (default: you, as a patient; a provider needs a live write grant)
  --update <record-id>      add a new version of this record instead of a new record
  --content-type <type>     store the file as an attachment of this media type (default from the extension)
  --no-escrow               do not split the data key among the gateway's break-glass escrow custodians
`,
    async run({ args, values, global }) {
      const { resourceType, plaintext } = await resourceFromFile(args[0]!, str(values, 'content-type'));
      const session = await openSession(global);
      const patient = await patientOf(session, str(values, 'patient'), global.dataDir);
      const own = encryptionKey(session);
      const written = await writeRecordVersion({
        gateway: session.gateway, client: session.client, addresses: session.addresses, author: { address: session.address, publicKey: own.publicKey },
        patient, resourceType, plaintext, recordId: str(values, 'update') ? recordId(str(values, 'update')) : undefined,
        escrow: values['no-escrow'] !== true, send: (call) => session.send(call as never),
      });
      emit(global.json, { ...written, patient, resourceType }, `record ${written.recordId} v${written.version} (${resourceType}) stored for ${patient}`);
    },
  },
  {
    name: 'record get', synopsis: '<record-id>', arity: 1, summary: 'decrypt a record version here (checked against the chain) and print it',
    options: { version: { type: 'string' }, out: { type: 'string' } },
    help: '  --version <n>             which version (default the latest)\n  --out <file>              write the resource (or a Binary\'s decoded content) to a file\n',
    async run({ args, values, global }) {
      const id = recordId(args[0]);
      const session = await openSession(global);
      const opened = await openVersion(session, id, versionOf(str(values, 'version')));
      const resource = JSON.parse(new TextDecoder().decode(opened.plaintext)) as Record<string, unknown>;
      const out = str(values, 'out');
      if (out) {
        if (resource.resourceType === 'Binary' && typeof resource.data === 'string') writeFileSync(out, Buffer.from(resource.data, 'base64'), { mode: 0o600 });
        else writeFileAtomic(out, `${JSON.stringify(resource, null, 2)}\n`);
      }
      const meta = { recordId: id, version: opened.version, patient: opened.patient, integrityVerified: opened.integrityVerified, access: opened.access, viaEscrow: opened.viaEscrow };
      if (global.json) emit(true, { ...meta, resource }, '');
      else if (out) emit(false, meta, `wrote ${id} v${opened.version} to ${out} (integrity verified on chain)`);
      else process.stdout.write(`${JSON.stringify(resource, null, 2)}\n`);
    },
  },
  {
    name: 'record list', summary: 'the records of a patient that you may read',
    options: { patient: { type: 'string' } }, help: '  --patient <address>       whose records (default: you, as a patient)\n',
    async run({ values, global }) {
      const session = await openSession(global);
      const patient = await patientOf(session, str(values, 'patient'), global.dataDir);
      const list = await session.gateway.listRecords(patient);
      emit(global.json, list, () => table(['record', 'type', 'versions', 'access', 'until'],
        list.records.map((r) => [r.recordId, categoryName(r), String(r.latestVersion), r.erased ? 'erased' : r.access.basis, isoTime(r.access.until)])));
    },
  },
  {
    name: 'record history', synopsis: '<record-id>', arity: 1, summary: 'a record\'s versions: author, time, content id, integrity hash (from the chain)',
    async run({ args, global }) {
      const session = await openSession(global);
      const d = await session.gateway.getRecord(recordId(args[0]));
      emit(global.json, d, () => `record ${d.recordId} of ${d.patient}, ${categoryName(d)}, created ${isoTime(d.createdAt)}${d.erasedAt ? `, ERASED ${isoTime(d.erasedAt)}` : ''}\n`
        + table(['version', 'author', 'time', 'cid', 'integrity hash'], d.versions.map((v) => [String(v.version), v.author, isoTime(v.timestamp), v.cid ?? '-', v.integrityHash])));
    },
  },
  {
    name: 'record verify', synopsis: '<record-id>', arity: 1, summary: 'decrypt a version and check it against the integrity hash and content id registered on chain',
    options: { version: { type: 'string' } }, help: '  --version <n>             which version (default the latest)\n',
    async run({ args, values, global }) {
      const id = recordId(args[0]);
      const session = await openSession(global);
      const opened = await readRecordVersion({ gateway: session.gateway, client: session.client, addresses: session.addresses, recordId: id, version: versionOf(str(values, 'version')), privateKeys: session.key.encryption.map((k) => k.privateKey) });
      // Ask the chain itself too: RecordRegistry.verifyIntegrity with the hash recomputed here.
      const onChain = await session.client.readContract({ address: session.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [id, opened.version] });
      const ok = opened.integrityVerified && opened.contentIdVerified;
      emit(global.json, { recordId: id, version: opened.version, valid: ok, integrityVerified: opened.integrityVerified, contentIdVerified: opened.contentIdVerified, integrityHash: onChain.integrityHash },
        ok ? `record ${id} v${opened.version}: valid — content id and integrity hash match the chain (${onChain.integrityHash})` : `record ${id} v${opened.version}: does NOT match the chain`);
      if (!ok) process.exitCode = EXIT.runtime;
    },
  },
  {
    name: 'record erase', synopsis: '<record-id>', arity: 1, summary: 'as the patient, erase a record: tombstone on chain, ciphertext and every key destroyed',
    options: { yes: { type: 'boolean' } }, help: '  --yes                     do not ask (required when not on a terminal)\n',
    async run({ args, values, global }) {
      const id = recordId(args[0]);
      if (!values.yes) throw new CliError('erasure cannot be undone: confirm with --yes', EXIT.usage);
      const session = await openSession(global);
      const detail = await session.gateway.getRecord(id);
      if (detail.patient.toLowerCase() !== session.address.toLowerCase()) throw new RefusedError('only the record\'s patient can erase it');
      if (!detail.erasedAt) await session.send({ address: session.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'eraseRecord', args: [id] });
      const result = await session.gateway.erase(id);
      emit(global.json, { recordId: id, ...result }, `record ${id} erased (${result.ciphertextsDestroyed} ciphertext(s) destroyed; the tombstone stays on chain)`);
    },
  },
];
