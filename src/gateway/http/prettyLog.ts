/**
 * Log lines for people at a terminal: pino writes JSON lines (what log collectors read when stdout
 * is a file or a pipe); on a TTY this destination turns each into `17:01:02 INFO  request
 * method=GET route=/api/records status=200 ms=4`. pino-pretty would do it but is not a dependency;
 * this is the few lines it takes. MEDCHAIN_LOG_FORMAT=json|pretty overrides the TTY check.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

const value = (v: unknown): string => (typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v));

/** One JSON log line as a human line (no trailing newline); a line that is not JSON is kept as it is. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try { entry = JSON.parse(line) as Record<string, unknown>; } catch { return line.trimEnd(); }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  const fields = Object.entries(entry).filter(([k]) => !OMIT.has(k)).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([k2, v2]) => `${k}.${k2}=${value(v2)}`) : [`${k}=${value(v)}`]);
  return [time, LEVELS[entry.level as number] ?? String(entry.level), entry.msg ?? '', ...fields].filter((p) => p !== '').join(' ');
}

/** Whether logs should be human lines: MEDCHAIN_LOG_FORMAT, else whether stdout is a terminal. */
export function wantPretty(env = process.env, stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (env.MEDCHAIN_LOG_FORMAT === 'json') return false;
  if (env.MEDCHAIN_LOG_FORMAT === 'pretty') return true;
  return stdout.isTTY === true;
}

/**
 * While a progress bar is drawn on the terminal (the demo seeding), lines below `level` are dropped
 * and the others clear the bar's line first, so no log text lands inside the bar. Returns the undo.
 */
let progressFloor: number | undefined;
export function quietLogsDuringProgress(level = 40): () => void {
  progressFloor = level;
  return () => { progressFloor = undefined; };
}

/** A pino destination writing human lines to stdout. */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return {
    write: (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        if (progressFloor !== undefined) {
          const level = (/"level":(\d+)/.exec(line)?.[1]) ?? '0';
          if (Number(level) < progressFloor) continue;
          process.stderr.write('\r\x1b[K');
        }
        out.write(`${prettyLine(line)}\n`);
      }
    },
  };
}
