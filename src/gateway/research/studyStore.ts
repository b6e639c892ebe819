/**
 * What the gateway keeps about studies: the data-key envelopes participants wrapped to a study's
 * compute key (deleted on opt-out, on close and at the end date — the same envelope model as
 * grantees, in a table of its own so that the grant sweep never touches them), the plain-language
 * description whose hash is on chain, and every run with its released result, its cohort list and
 * the salt of its on-chain commitments (commitment.ts) — the last two only for auditors and admins.
 */
import type { Address, Hex } from 'viem';
import type { Clock } from '../clock.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import { resultSaltOf } from './commitment.ts';

export const studyMigrations = [
  {
    id: 'studies-1',
    sql: `
CREATE TABLE IF NOT EXISTS study_envelopes (
  study_id BIGINT NOT NULL,
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  patient TEXT NOT NULL,
  envelope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (study_id, record_id, version)
);
CREATE INDEX IF NOT EXISTS study_envelopes_patient ON study_envelopes (study_id, patient);
CREATE TABLE IF NOT EXISTS study_texts (
  study_id BIGINT PRIMARY KEY,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  codes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS study_runs (
  study_id BIGINT NOT NULL,
  run_id BIGINT NOT NULL,
  computation BIGINT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  cohort_size BIGINT NOT NULL,
  epsilon_micro BIGINT NOT NULL,
  result TEXT NOT NULL,
  result_hash TEXT NOT NULL,
  cohort TEXT NOT NULL,
  cohort_hash TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  time BIGINT NOT NULL,
  PRIMARY KEY (study_id, run_id)
);
`,
  },
  {
    // Runs' commitments are salted since issue 20's review: the salt and the size of the padded cohort tree.
    id: 'studies-2',
    sql: `
ALTER TABLE study_runs ADD COLUMN salt TEXT;
ALTER TABLE study_runs ADD COLUMN tree_size BIGINT;
`,
  },
] as const;

export interface StudyText { title: string; summary: string; codes?: Array<{ system: string; code: string; display: string }> }

export interface StudyRun {
  studyId: number; runId: number; computation: number; kind: string; actor: Address; cohortSize: number; epsilon: number;
  result: unknown; resultHash: Hex; cohortHash: Hex; txHash: Hex; time: number;
  /** What checks resultHash (commitment.ts); given with the result, to those who see it. Null for runs from before salting. */
  resultSalt: Hex | null;
}

interface RunRow {
  study_id: number | string; run_id: number | string; computation: number | string; kind: string; actor: string; cohort_size: number | string;
  epsilon_micro: number | string; result: string; result_hash: string; cohort: string; cohort_hash: string; tx_hash: string; time: number | string;
  salt: string | null; tree_size: number | string | null;
}

/** What only auditors and admins see of a run (and, for one leaf, the patient it is about). */
export interface RunSecrets { cohort: Address[]; salt: Hex | null; treeSize: number | null }

const secretsOf = (r: RunRow): RunSecrets => ({
  cohort: JSON.parse(r.cohort) as Address[], salt: (r.salt ?? null) as Hex | null, treeSize: r.tree_size === null || r.tree_size === undefined ? null : Number(r.tree_size),
});

const toRun = (r: RunRow): StudyRun => ({
  studyId: Number(r.study_id), runId: Number(r.run_id), computation: Number(r.computation), kind: r.kind, actor: r.actor as Address,
  cohortSize: Number(r.cohort_size), epsilon: Number(r.epsilon_micro) / 1e6, result: JSON.parse(r.result), resultHash: r.result_hash as Hex,
  cohortHash: r.cohort_hash as Hex, txHash: r.tx_hash as Hex, time: Number(r.time), resultSalt: r.salt ? resultSaltOf(r.salt as Hex) : null,
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Durable: each call is one statement or runs inside the caller's transaction (the indexer's for deletions). */
/** `clock` (the gateway's, server.ts) dates each shared key. */
export function studyStore(db: SqlExecutor, clock: Clock) {
  const now = () => clock.seconds();
  return {
    async putEnvelope(studyId: bigint, e: { recordId: Hex; version: number; patient: Address; envelope: Uint8Array }): Promise<void> {
      await db.query(`INSERT INTO study_envelopes (study_id, record_id, version, patient, envelope, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (study_id, record_id, version) DO UPDATE SET envelope = excluded.envelope`,
      [Number(studyId), e.recordId.toLowerCase(), e.version, e.patient.toLowerCase(), b64(e.envelope), now()]);
    },
    async envelopesOf(studyId: bigint, patient?: Address): Promise<Array<{ recordId: Hex; version: number; patient: Address; envelope: Uint8Array }>> {
      const rows = await db.query<{ record_id: string; version: number | string; patient: string; envelope: string }>(
        `SELECT record_id, version, patient, envelope FROM study_envelopes WHERE study_id = $1 ${patient ? 'AND patient = $2' : ''} ORDER BY patient, record_id, version`,
        patient ? [Number(studyId), patient.toLowerCase()] : [Number(studyId)]);
      return rows.map((r) => ({ recordId: r.record_id as Hex, version: Number(r.version), patient: r.patient as Address, envelope: new Uint8Array(Buffer.from(r.envelope, 'base64')) }));
    },
    async countEnvelopes(studyId: bigint, patient: Address): Promise<number> {
      const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1 AND patient = $2', [Number(studyId), patient.toLowerCase()]);
      return Number(row?.n ?? 0);
    },
    /** A participant left: every key they shared with the study goes. */
    async removeParticipant(studyId: bigint, patient: Address): Promise<void> {
      await db.query('DELETE FROM study_envelopes WHERE study_id = $1 AND patient = $2', [Number(studyId), patient.toLowerCase()]);
    },
    /** The study closed or ended: every shared key goes. */
    async removeStudy(studyId: bigint): Promise<number> {
      const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1', [Number(studyId)]);
      await db.query('DELETE FROM study_envelopes WHERE study_id = $1', [Number(studyId)]);
      return Number(row?.n ?? 0);
    },
    async studiesWithEnvelopes(): Promise<bigint[]> {
      const rows = await db.query<{ study_id: number | string }>('SELECT DISTINCT study_id FROM study_envelopes');
      return rows.map((r) => BigInt(r.study_id));
    },
    /** The plain-language description patients read (its title's hash is on chain), with display names of the codes. */
    async setText(studyId: bigint, text: StudyText): Promise<void> {
      await db.query(`INSERT INTO study_texts (study_id, title, summary, codes) VALUES ($1, $2, $3, $4)
        ON CONFLICT (study_id) DO UPDATE SET title = excluded.title, summary = excluded.summary, codes = excluded.codes`,
      [Number(studyId), text.title, text.summary, JSON.stringify(text.codes ?? [])]);
    },
    async text(studyId: bigint): Promise<StudyText | undefined> {
      const [row] = await db.query<{ title: string; summary: string; codes: string }>('SELECT title, summary, codes FROM study_texts WHERE study_id = $1', [Number(studyId)]);
      return row ? { title: row.title, summary: row.summary, codes: JSON.parse(row.codes) as StudyText['codes'] } : undefined;
    },
    async addRun(run: StudyRun & { cohort: Address[]; salt: Hex; treeSize: number }): Promise<void> {
      await db.query(`INSERT INTO study_runs (study_id, run_id, computation, kind, actor, cohort_size, epsilon_micro, result, result_hash, cohort, cohort_hash, tx_hash, time, salt, tree_size)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (study_id, run_id) DO NOTHING`, [
        run.studyId, run.runId, run.computation, run.kind, run.actor.toLowerCase(), run.cohortSize, Math.round(run.epsilon * 1e6), JSON.stringify(run.result),
        run.resultHash, JSON.stringify(run.cohort.map((a) => a.toLowerCase())), run.cohortHash, run.txHash, run.time, run.salt, run.treeSize,
      ]);
    },
    async runs(studyId: bigint): Promise<StudyRun[]> {
      const rows = await db.query<RunRow>('SELECT * FROM study_runs WHERE study_id = $1 ORDER BY run_id', [Number(studyId)]);
      return rows.map(toRun);
    },
    /** A run with its cohort list and salt (for auditors and admins). */
    async runSecrets(studyId: bigint, runId: number): Promise<{ run: StudyRun; secrets: RunSecrets } | undefined> {
      const [row] = await db.query<RunRow>('SELECT * FROM study_runs WHERE study_id = $1 AND run_id = $2', [Number(studyId), runId]);
      return row ? { run: toRun(row), secrets: secretsOf(row) } : undefined;
    },
    /** The runs that included `patient` (their own view), with what their inclusion proof is built from. */
    async runsIncluding(studyId: bigint, patient: Address): Promise<Array<{ run: StudyRun; secrets: RunSecrets }>> {
      const all = await db.query<RunRow>('SELECT * FROM study_runs WHERE study_id = $1 ORDER BY run_id', [Number(studyId)]);
      return all.map((r) => ({ run: toRun(r), secrets: secretsOf(r) })).filter((r) => r.secrets.cohort.includes(patient.toLowerCase() as Address));
    },
  };
}

export type StudyStore = ReturnType<typeof studyStore>;

/**
 * Indexer handlers for Studies events, run inside the indexer's transaction: the deletions are as
 * durable as the cursor that moves past the event, and replaying them changes nothing.
 */
export async function applyStudyEvent(tx: SqlExecutor, log: { eventName: string; args: Record<string, unknown> }, clock: Clock): Promise<void> {
  const store = studyStore(tx, clock);
  if (log.eventName === 'StudyOptedOut') await store.removeParticipant(BigInt(log.args.studyId as bigint), log.args.patient as Address);
  if (log.eventName === 'StudyClosed') await store.removeStudy(BigInt(log.args.studyId as bigint));
}
