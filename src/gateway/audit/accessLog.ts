/**
 * The access log: every access decision, allowed or denied, appended to SQL (durable once the
 * append returns) and grouped into periods. Closing a period computes the RFC 6962 root of its
 * entries; the anchorer puts that root on chain (AccessLogAnchor) and retries until it is there,
 * also after a restart. Any entry then comes with an inclusion proof checkable against the chain.
 * Entries hold addresses, record ids and codes only — no personal health information.
 */
import { AsyncResource } from 'node:async_hooks';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Hex } from 'viem';
import type { SqlExecutor } from '../index/handlers.ts';
import type { Clock } from '../clock.ts';
import type { AccessLogEntry, AccessLogger } from '../routes/types.ts';
import { canonicalEntry, inclusionPath, leafHash, rootOf, type InclusionProof, type LogEntry } from '../../sdk/auditProof.ts';

export const accessLogMigrations = [
  {
    id: 'access-log-1',
    sql: `
CREATE TABLE IF NOT EXISTS access_log (
  seq BIGINT PRIMARY KEY,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  patient TEXT NOT NULL,
  record_id TEXT,
  action TEXT NOT NULL,
  purpose TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  leaf TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_patient ON access_log (patient, seq);
CREATE INDEX IF NOT EXISTS access_log_actor ON access_log (actor, seq);
CREATE TABLE IF NOT EXISTS log_periods (
  period_id BIGINT PRIMARY KEY,
  first_seq BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  entry_count BIGINT NOT NULL,
  root TEXT NOT NULL,
  closed_at BIGINT NOT NULL,
  anchor_tx TEXT
);
`,
  },
] as const;

interface Row { seq: number | string; time: number | string; actor: string; patient: string; record_id: string | null; action: string; purpose: string; outcome: string; reason: string; leaf: string }
interface PeriodRow { period_id: number | string; first_seq: number | string; last_seq: number | string; entry_count: number | string; root: string; closed_at: number | string; anchor_tx: string | null }

const toEntry = (r: Row): LogEntry => ({
  seq: Number(r.seq), time: Number(r.time), actor: r.actor, patient: r.patient, recordId: r.record_id, action: r.action, purpose: r.purpose,
  outcome: r.outcome as LogEntry['outcome'], reason: r.reason,
});

export interface AccessLogOptions {
  /** Runs `fn` in one SQL transaction (serialized with other writers). */
  transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T>;
  db: SqlExecutor;
  /** Puts a period's root on chain; returns the transaction hash. */
  anchor?: (periodId: bigint, root: Hex, count: bigint) => Promise<Hex>;
  /** The gateway's clock (server.ts): entry times and period closes, in seconds. */
  clock: Clock;
}

export function createAccessLog({ db, transaction, anchor, clock }: AccessLogOptions) {
  const now = () => clock.seconds();
  // Group commit: appends that arrive while a commit is being written (or in the same turn of the
  // event loop) go into the next transaction together — one fsync for many entries. Each append
  // resolves only after the transaction holding its entry committed, so an acknowledged entry is
  // exactly as durable as with one transaction per entry; seqs follow the order of the calls. A
  // failed commit fails every append in it (none of them is in the log).
  // Not to be awaited inside another db transaction: the group commits in its own.
  type Waiting = { entry: Omit<LogEntry, 'seq'>; resolve: (e: LogEntry) => void; reject: (e: unknown) => void };
  let waiting: Waiting[] = [];
  let committing = false;
  let scheduled = false;
  const stats = { commits: 0, entries: 0, largestGroup: 0 };

  // Bound to this (transaction-free) context, so a group never joins a caller's transaction.
  const commitGroup = AsyncResource.bind(async () => {
    scheduled = false;
    const group = waiting;
    waiting = [];
    committing = true;
    try {
      const entries = await transaction(async (tx) => {
        const [last] = await tx.query<{ seq: number | string | null }>('SELECT MAX(seq) AS seq FROM access_log');
        let seq = Number(last?.seq ?? 0);
        const out: LogEntry[] = [];
        for (const w of group) {
          const entry: LogEntry = { seq: ++seq, ...w.entry };
          await tx.query('INSERT INTO access_log (seq, time, actor, patient, record_id, action, purpose, outcome, reason, leaf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
            entry.seq, entry.time, entry.actor, entry.patient, entry.recordId, entry.action, entry.purpose, entry.outcome, entry.reason, bytesToHex(leafHash(canonicalEntry(entry))),
          ]);
          out.push(entry);
        }
        return out;
      });
      stats.commits++;
      stats.entries += entries.length;
      stats.largestGroup = Math.max(stats.largestGroup, entries.length);
      group.forEach((w, i) => w.resolve(entries[i]!));
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      committing = false;
      schedule();
    }
  });

  function schedule(): void {
    if (scheduled || committing || waiting.length === 0) return;
    scheduled = true;
    setImmediate(commitGroup);
  }

  /** Appends one entry; resolves with it (and its seq) once it is committed. */
  function append(input: AccessLogEntry): Promise<LogEntry> {
    return new Promise<LogEntry>((resolve, reject) => {
      const entry = {
        time: now(), actor: input.actor.toLowerCase(), patient: input.patient.toLowerCase(),
        recordId: input.recordId?.toLowerCase() ?? null, action: input.action, purpose: input.purpose, outcome: input.outcome, reason: input.reason,
      };
      waiting.push({ entry, resolve, reject });
      schedule();
    });
  }

  /** Closes the open period if it has entries; returns it (or undefined when there was nothing to close). */
  async function closePeriod(): Promise<{ periodId: number; root: Hex; count: number } | undefined> {
    return transaction(async (tx) => {
      const [prev] = await tx.query<{ period_id: number | string | null; last_seq: number | string | null }>('SELECT MAX(period_id) AS period_id, MAX(last_seq) AS last_seq FROM log_periods');
      const firstSeq = Number(prev?.last_seq ?? 0) + 1;
      const leaves = await tx.query<{ seq: number | string; leaf: string }>('SELECT seq, leaf FROM access_log WHERE seq >= $1 ORDER BY seq', [firstSeq]);
      if (leaves.length === 0) return undefined;
      const periodId = Number(prev?.period_id ?? 0) + 1;
      const root = `0x${bytesToHex(rootOf(leaves.map((l) => hexBytes(l.leaf))))}` as Hex;
      await tx.query('INSERT INTO log_periods (period_id, first_seq, last_seq, entry_count, root, closed_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [periodId, firstSeq, Number(leaves.at(-1)!.seq), leaves.length, root, now()]);
      return { periodId, root, count: leaves.length };
    });
  }

  /** Anchors every closed period not yet on chain; a failure leaves it for the next call. */
  async function anchorPending(): Promise<number> {
    if (!anchor) return 0;
    const pending = await db.query<PeriodRow>('SELECT * FROM log_periods WHERE anchor_tx IS NULL ORDER BY period_id');
    let done = 0;
    for (const p of pending) {
      const tx = await anchor(BigInt(p.period_id), p.root as Hex, BigInt(p.entry_count));
      await db.query('UPDATE log_periods SET anchor_tx = $1 WHERE period_id = $2', [tx, Number(p.period_id)]);
      done++;
    }
    return done;
  }

  /** The entry's inclusion proof in its period (undefined while its period is still open). */
  async function prove(seq: number): Promise<(InclusionProof & { anchorTx: string | null }) | undefined> {
    const [row] = await db.query<Row>('SELECT * FROM access_log WHERE seq = $1', [seq]);
    if (!row) return undefined;
    const [period] = await db.query<PeriodRow>('SELECT * FROM log_periods WHERE first_seq <= $1 AND last_seq >= $1', [seq]);
    if (!period) return undefined;
    const leaves = await db.query<{ leaf: string }>('SELECT leaf FROM access_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq', [Number(period.first_seq), Number(period.last_seq)]);
    const index = seq - Number(period.first_seq);
    return {
      entry: toEntry(row), periodId: Number(period.period_id), leafIndex: index, treeSize: leaves.length,
      path: inclusionPath(leaves.map((l) => hexBytes(l.leaf)), index).map(bytesToHex), root: period.root, anchorTx: period.anchor_tx,
    };
  }

  async function entries(filter: { patient?: string; actor?: string; afterSeq?: number; limit?: number; offset?: number }): Promise<LogEntry[]> {
    const column = filter.patient ? 'patient' : 'actor';
    const who = (filter.patient ?? filter.actor ?? '').toLowerCase();
    const rows = await db.query<Row>(`SELECT * FROM access_log WHERE ${column} = $1 AND seq > $2 ORDER BY seq LIMIT $3 OFFSET $4`, [who, filter.afterSeq ?? 0, Math.min(filter.limit ?? 100, 1000), filter.offset ?? 0]);
    return rows.map(toEntry);
  }

  /** How many entries are about `patient` (a search's total). */
  async function count(filter: { patient: string }): Promise<number> {
    const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM access_log WHERE patient = $1', [filter.patient.toLowerCase()]);
    return Number(row?.n ?? 0);
  }

  /** One entry by its sequence number. */
  async function entry(seq: number): Promise<LogEntry | undefined> {
    const [row] = await db.query<Row>('SELECT * FROM access_log WHERE seq = $1', [seq]);
    return row ? toEntry(row) : undefined;
  }

  async function periods(): Promise<Array<{ periodId: number; firstSeq: number; lastSeq: number; count: number; root: string; anchorTx: string | null }>> {
    const rows = await db.query<PeriodRow>('SELECT * FROM log_periods ORDER BY period_id');
    return rows.map((p) => ({ periodId: Number(p.period_id), firstSeq: Number(p.first_seq), lastSeq: Number(p.last_seq), count: Number(p.entry_count), root: p.root, anchorTx: p.anchor_tx }));
  }

  return { append, closePeriod, groupCommitStats: () => ({ ...stats }), anchorPending, prove, entries, count, entry, periods } satisfies AccessLogger & Record<string, unknown>;
}

export type AccessLog = ReturnType<typeof createAccessLog>;

function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/, '');
  return Uint8Array.from(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}
