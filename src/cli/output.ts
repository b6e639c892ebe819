/**
 * Output of the client commands: a human line (or table) on stdout, or with `--json` one JSON
 * document (bigints as strings). Progress and warnings go to stderr, so stdout stays parseable.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2);
}

/** With --quiet: print only the id of what a command made (for `RECORD=$(medchain record add … -q)`). */
let idOnly = false;
export function setQuiet(quiet: boolean): void { idOnly = quiet; }
const ID_FIELDS = ['seq', 'recordId', 'grantId', 'requestId', 'address'] as const;
const idOf = (value: unknown) => (typeof value === 'object' && value !== null ? ID_FIELDS.map((f) => (value as Record<string, unknown>)[f]).find((v) => v !== undefined && v !== null) : undefined);

/** Prints `value` as JSON with --json, its id (a list: one id a line) with --quiet, else the human text. */
export function emit(json: boolean, value: unknown, human: string | (() => string)): void {
  const ids = idOnly && !json ? (Array.isArray(value) ? value.map(idOf) : [idOf(value)]).filter((v) => v !== undefined) : [];
  if (ids.length > 0) process.stdout.write(`${ids.map(String).join('\n')}\n`);
  else process.stdout.write(json ? `${jsonText(value)}\n` : `${typeof human === 'function' ? human() : human}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const isoTime = (unix: number | bigint | null | undefined) => (unix ? new Date(Number(unix) * 1000).toISOString().replace('.000Z', 'Z') : '-');

/** 90 → "1m 30s"; 90000 → "1d 1h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${m}m`] : m ? [`${m}m`, `${r}s`] : [`${r}s`];
  return parts.filter((p) => !/^0[a-z]$/.test(p) || parts.length === 1).join(' ');
}
