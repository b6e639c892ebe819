import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { prettyDestination, prettyLine, quietLogsDuringProgress, wantPretty } from './prettyLog.ts';

test('a pino logger on a terminal writes human lines, not JSON; redaction still applies', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += chunk; done(); } });
  const log = pino({ base: { service: 'medchain-gateway' }, redact: { paths: ['token'], censor: '[redacted]' } }, prettyDestination(sink));
  log.info({ method: 'GET', route: '/api/records', status: 200, ms: 4 }, 'request');
  log.warn({ detail: { file: 'wal', note: 'disk slow' }, token: 'secret' }, 'sync late');
  const [first, second] = out.trim().split('\n');
  assert.match(first!, /^\d\d:\d\d:\d\d INFO {2}request method=GET route=\/api\/records status=200 ms=4$/);
  assert.match(second!, /^\d\d:\d\d:\d\d WARN {2}sync late detail\.file=wal detail\.note="disk slow" token=\[redacted\]$/);
  assert.doesNotMatch(out, /[{}]|secret|service/);
  assert.equal(prettyLine('not json'), 'not json');
});

test('JSON when stdout is not a terminal, unless MEDCHAIN_LOG_FORMAT says otherwise', () => {
  assert.equal(wantPretty({}, { isTTY: true }), true);
  assert.equal(wantPretty({}, { isTTY: false }), false);
  assert.equal(wantPretty({}, {}), false);
  assert.equal(wantPretty({ MEDCHAIN_LOG_FORMAT: 'json' }, { isTTY: true }), false);
  assert.equal(wantPretty({ MEDCHAIN_LOG_FORMAT: 'pretty' }, { isTTY: false }), true);
});

test('during a progress bar only warnings and errors are written', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += chunk; done(); } });
  const log = pino({}, prettyDestination(sink));
  const restore = quietLogsDuringProgress();
  log.info({ route: '/api/blobs' }, 'request');
  log.warn('slow upload');
  restore();
  log.info('after');
  assert.deepEqual(out.trim().split('\n').map((l) => l.slice(9)), ['WARN  slow upload', 'INFO  after']);
});
