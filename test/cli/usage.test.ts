/**
 * Bad usage is refused with exit code 2 and a one-line message naming the problem; --help works
 * for the command list, a group and a command; an unreachable gateway is a runtime error (1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './cliHarness.ts';

test('usage errors exit 2 with a one-line message; help exits 0', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /no command given/],
    [['--bogus', 'status'], /unknown option "--bogus" before the command/],
    [['grant'], /"grant" needs a subcommand: one of create, revoke, extend, list/],
    [['grant', 'create', '--bogus'], /Unknown option '--bogus'/],
    [['grant', 'create', '--for', '10m'], /--to must be a 0x-prefixed 20-byte address/],
    [['grant', 'create', '--to', '0x0000000000000000000000000000000000000001', '--for', 'ten minutes'], /--for takes a duration like 20s/],
    [['grant', 'revoke'], /missing argument: medchain grant revoke <grant-id>/],
    [['record', 'get', 'not-an-id'], /a record id is 0x followed by 64 hex digits/],
    [['record', 'add', 'a.json', 'b.json'], /unexpected argument "b.json"/],
    [['record', 'get', `0x${'ab'.repeat(32)}`], /pass --key <key file or name>/],
    [['start', '--demo-patients', '5'], /--demo-patients goes with --demo/],
    [['start', '--blob-cache-mb', 'lots'], /--blob-cache-mb must be a whole number of MiB from 0 to 65536, got "lots"/],
  ];
  // Three at a time: each is a Node process, and CI machines have two cores.
  const results: Awaited<ReturnType<typeof cli>>[] = [];
  for (let i = 0; i < cases.length; i += 3) results.push(...await Promise.all(cases.slice(i, i + 3).map(([args]) => cli([...args, '--gateway', 'http://127.0.0.1:9']))));
  results.forEach((r, i) => {
    const [args, message] = cases[i]!;
    assert.equal(r.code, 2, `medchain ${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message, `medchain ${args.join(' ')}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  const [top, group, one, unreachable] = await Promise.all([
    cli(['--help']), cli(['grant', '--help']), cli(['grant', 'create', '--help']), cli(['status', '--gateway', 'http://127.0.0.1:9']),
  ]);
  assert.equal(top.code, 0);
  for (const name of ['keys new', 'patient register', 'grant create', 'request approve', 'record verify', 'break-glass', 'audit prove', 'export', 'admin accredit', 'status']) assert.match(top.stdout, new RegExp(name));
  assert.equal(group.code, 0);
  assert.match(group.stdout, /medchain grant extend/);
  assert.equal(one.code, 0);
  assert.match(one.stdout, /--until <iso time>/);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach the gateway/);
});
