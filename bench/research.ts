/**
 * A study computation over 1k, 5k and 10k encrypted records: the compute service's in-process part
 * of a run — read each ciphertext from the record store (FsBlobStore on disk), open its study
 * envelope with the compute key (HPKE) and the record (AES-256-GCM, integrity checked), extract the
 * patient's latest HbA1c, and release the noised mean and histogram — against the same aggregation
 * over the plaintext resources in the same run (the cost of keeping data encrypted at rest).
 * Chain round-trips (reading the study, re-checking participants, recordRun) are not included:
 * they are a handful of calls per run whatever the record count. 10 records per patient.
 * Run: `npx tsx bench/research.ts` (or `npm run bench -- research`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { generateEncryptionKeyPair } from '../src/crypto/index.ts';
import { cidFromContentId, openRecordVersion, prepareRecordVersion } from '../src/sdk/records.ts';
import { studyCode } from '../src/sdk/studies.ts';
import { FsBlobStore } from '../src/storage/FsBlobStore.ts';
import { releaseComputation, type PatientInput } from '../src/gateway/research/computations.ts';
import { patientInput } from '../src/gateway/research/fhirValues.ts';
import { report, savePlot, type Row } from './lib/report.ts';

const HBA1C = studyCode('http://loinc.org', '4548-4');
const PER_PATIENT = 10;
const SIZES = [1_000, 5_000, 10_000];
const declared = { lower: 4, upper: 14, lowerY: 0, upperY: 0 };

const dir = mkdtempSync(join(tmpdir(), 'medchain-bench-research-'));
const blobs = new FsBlobStore(join(dir, 'blobs'));
const computeKey = generateEncryptionKeyPair();

interface Stored { recordId: Hex; patient: Address; contentId: Hex; integrityHash: Hex; envelope: Uint8Array; plaintext: Record<string, unknown> }
const stored: Stored[] = [];
const patientOf = (i: number) => `0x${(Math.floor(i / PER_PATIENT) + 1).toString(16).padStart(40, '0')}` as Address;

console.log(`preparing ${SIZES.at(-1)} encrypted Observations…`);
for (let i = 0; i < SIZES.at(-1)!; i++) {
  const resource = {
    resourceType: 'Observation', status: 'final', effectiveDateTime: new Date(Date.UTC(2026, 0, 1 + (i % PER_PATIENT) * 20)).toISOString(),
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] }, valueQuantity: { value: 5 + ((i * 7) % 80) / 10, unit: '%' },
  };
  const patient = patientOf(i);
  const prepared = await prepareRecordVersion({
    plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient, resourceType: 'Observation',
    recipients: [{ address: '0x00000000000000000000000000000000000000aa', publicKey: computeKey.publicKey }],
  });
  await blobs.put(prepared.ciphertext);
  stored.push({ recordId: prepared.recordId, patient, contentId: prepared.contentId, integrityHash: prepared.integrityHash, envelope: prepared.envelopes[0]!.envelope, plaintext: resource });
}

/** The in-service run: decrypt every record, one input per patient, then the DP releases. */
async function encryptedRun(records: Stored[]): Promise<number> {
  const byPatient = new Map<Address, Array<Record<string, unknown>>>();
  for (const r of records) {
    const ciphertext = await blobs.get(cidFromContentId(r.contentId));
    const opened = await openRecordVersion({ ciphertext, envelope: r.envelope, privateKey: computeKey.privateKey, recordId: r.recordId, version: 1, patient: r.patient, integrityHash: r.integrityHash });
    if (opened.integrityVerified !== true) throw new Error('integrity');
    const list = byPatient.get(r.patient) ?? [];
    list.push(JSON.parse(new TextDecoder().decode(opened.plaintext)) as Record<string, unknown>);
    byPatient.set(r.patient, list);
  }
  return release(byPatient);
}

function plaintextRun(records: Stored[]): number {
  const byPatient = new Map<Address, Array<Record<string, unknown>>>();
  for (const r of records) {
    const list = byPatient.get(r.patient) ?? [];
    list.push(JSON.parse(JSON.stringify(r.plaintext)) as Record<string, unknown>);
    byPatient.set(r.patient, list);
  }
  return release(byPatient);
}

function release(byPatient: Map<Address, Array<Record<string, unknown>>>): number {
  const cohort: PatientInput[] = [...byPatient.values()].map((resources) => patientInput(resources, HBA1C, undefined, {}));
  const size = { min: 1, max: cohort.length };
  releaseComputation({ kind: 'Mean', ...declared, bins: 0 }, cohort, 1, size);
  releaseComputation({ kind: 'Histogram', ...declared, bins: 10 }, cohort, 1, size);
  return cohort.length;
}

const rows: Row[] = [];
for (const n of SIZES) {
  const records = stored.slice(0, n);
  await encryptedRun(records.slice(0, 100)); // warm-up
  let t0 = performance.now();
  const patients = await encryptedRun(records);
  const encrypted = (performance.now() - t0) / 1000;
  t0 = performance.now();
  plaintextRun(records);
  const plain = (performance.now() - t0) / 1000;
  rows.push({ records: n, patients, 'encrypted run (s)': encrypted, 'records/s': Math.round(n / encrypted), 'plaintext peer (s)': plain, 'peer records/s': Math.round(n / plain) });
}
await blobs.close();
rmSync(dir, { recursive: true, force: true });

report('research', 'Study computation (mean + 10-bin histogram, Laplace) over encrypted records, in the compute service', rows);
await savePlot('research', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 420, height: 240,
  title: 'Study run over encrypted records: records per second',
  data: { values: rows.flatMap((r) => [{ records: r.records, series: 'encrypted (decrypt in service)', rate: r['records/s'] }, { records: r.records, series: 'plaintext peer', rate: r['peer records/s'] }]) },
  mark: { type: 'line', point: true },
  encoding: { x: { field: 'records', type: 'quantitative' }, y: { field: 'rate', type: 'quantitative', title: 'records/s', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal' } },
});
