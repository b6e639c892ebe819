/**
 * The indexed records and their versions (tables `records`, `record_versions`: index/schema.ts),
 * read the one way every route and service reads them. The chain stays the source of truth; these
 * rows are for listing and search, and lag it by moments. One SQL text for SQLite and PostgreSQL.
 */
import type { Address, Hex } from 'viem';
import type { SqlExecutor } from '../db/sqlExecutor.ts';

export interface RecordRow { record_id: Hex; category: Hex; latest_version: number | string; erased_block: unknown }
export interface VersionRow { record_id: Hex; version: number | string; tx_hash: string }

const placeholders = (values: unknown[], from = 1) => values.map((_, i) => `$${i + from}`).join(', ');

export function recordRepository(db: SqlExecutor) {
  return {
    /** A patient's records, erased ones included, in the order they were registered. */
    ofPatient: (patient: Address) => db.query<RecordRow>(
      'SELECT record_id, category, latest_version, erased_block FROM records WHERE patient = $1 ORDER BY created_block, record_id', [patient.toLowerCase()]),

    /** A patient's records not erased, in the order they were registered. */
    liveOfPatient: (patient: Address) => db.query<Omit<RecordRow, 'erased_block'>>(
      `SELECT record_id, category, latest_version FROM records WHERE patient = $1 AND erased_block IS NULL ORDER BY created_block, record_id`, [patient.toLowerCase()]),

    /** The first record not erased of a patient in either category (their Patient resource: blinded and legacy category). */
    async firstLiveIn(patient: Address, categories: [Hex | undefined, Hex | undefined]): Promise<Hex | undefined> {
      const [row] = await db.query<{ record_id: Hex }>(
        'SELECT record_id FROM records WHERE patient = $1 AND category IN ($2, $3) AND erased_block IS NULL ORDER BY created_block, record_id LIMIT 1', [patient.toLowerCase(), ...categories]);
      return row?.record_id;
    },

    /** The records not erased of several patients (lower-case addresses), newest first. */
    liveOfPatients: (patients: string[]) => db.query<{ patient: string; record_id: string; category: string; latest_version: number | string }>(
      `SELECT patient, record_id, category, latest_version FROM records WHERE erased_block IS NULL AND patient IN (${placeholders(patients)})
       ORDER BY created_block DESC`, patients),

    /** One record's row, or undefined when the indexer has not seen it. */
    async byId(recordId: string) {
      const [row] = await db.query<{ patient: string; latest_version: number | string; erased_block: unknown; category: string }>(
        'SELECT patient, latest_version, erased_block, category FROM records WHERE record_id = $1', [recordId]);
      return row;
    },

    /** Whose and of which category each of these records is (at least one id). */
    byIds: (ids: string[]) => db.query<{ record_id: string; category: string; patient: string }>(
      `SELECT record_id, category, patient FROM records WHERE record_id IN (${placeholders(ids)})`, ids),

    /** The versions of a record whose transaction the indexer has seen, oldest first. */
    versions: (recordId: Hex) => db.query<Omit<VersionRow, 'record_id'>>(
      'SELECT version, tx_hash FROM record_versions WHERE record_id = $1 ORDER BY version', [recordId]),

    /** The version a transaction wrote, if the indexer has seen it. */
    async versionByTx(txHash: Hex): Promise<VersionRow | undefined> {
      const [row] = await db.query<VersionRow>('SELECT record_id, version, tx_hash FROM record_versions WHERE tx_hash = $1', [txHash]);
      return row;
    },
  };
}

export type RecordRepository = ReturnType<typeof recordRepository>;
