/**
 * `medchain start --consortium` refuses bad usage and bad files with exit code 2 and one line
 * naming the problem (no stack trace), before opening any key or touching the data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/cliHarness.ts';

test('start --consortium: bad usage and bad consortium files exit 2 with one line naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-consortium-usage-'));
  try {
    const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
    const good = {
      version: 1, name: 'x', chainId: 4242,
      engine: { kind: 'besu-qbft', besuVersion: '25.10.0', blockPeriodSeconds: 2, requestTimeoutSeconds: 4, epochLength: 30000 },
      contracts: { identity: address(1), consent: address(2), incentives: address(3), token: address(4), recordRegistry: address(5), accessLogAnchor: address(6), studies: address(8) },
      validatorContract: address(3),
      hospitals: [{ name: 'a', gatewayUrl: 'http://127.0.0.1:8101', rpcUrl: 'http://127.0.0.1:9', validator: address(7), operator: address(8), custodianPublicKey: `0x${'ab'.repeat(32)}`, enode: `enode://${'0'.repeat(128)}@127.0.0.1:30303` }],
    };
    writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...good, chainId: 'x' }));
    writeFileSync(join(dir, 'k.json'), JSON.stringify({ ...good, escrowThreshold: 3 }));
    writeFileSync(join(dir, 'dup.json'), JSON.stringify({ ...good, hospitals: [good.hospitals[0], { ...good.hospitals[0], name: 'b', validator: address(9) }] }));
    const data = join(dir, 'data');
    const cases: Array<[string[], RegExp]> = [
      [['start', '--consortium', join(dir, 'good.json')], /--consortium and --hospital go together/],
      [['start', '--keys-dir', dir], /--keys-dir goes with --consortium/],
      [['start', '--consortium', join(dir, 'good.json'), '--hospital', 'a', '--demo'], /--demo .* cannot be combined with --consortium/],
      [['start', '--consortium', join(dir, 'none.json'), '--hospital', 'a'], /none\.json: cannot read it/],
      [['start', '--consortium', join(dir, 'bad.json'), '--hospital', 'a'], /bad\.json: chainId: /],
      [['start', '--consortium', join(dir, 'good.json'), '--hospital', 'z'], /no hospital "z" \(there are: a\)/],
      [['start', '--consortium', join(dir, 'k.json'), '--hospital', 'a'], /escrowThreshold 3 exceeds the number of hospitals \(1\)/],
      [['start', '--consortium', join(dir, 'dup.json'), '--hospital', 'a'], /two hospitals share an operator/],
      [['start', '--consortium', join(dir, 'good.json'), '--hospital', 'a'], /no .*operator\.json: pass --keys-dir/],
    ];
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3);
      const results = await Promise.all(batch.map(([args]) => cli(['--data-dir', data, ...args])));
      results.forEach((r, j) => {
        const [args, message] = batch[j]!;
        assert.equal(r.code, 2, `medchain ${args.join(' ')}: exit ${r.code} ${r.stderr}`);
        assert.match(r.stderr, message, `medchain ${args.join(' ')}`);
        // `start` may first build the web UI once (bin/prepare.js says so on its own line).
        const lines = r.stderr.trim().split('\n').filter((l) => !/^medchain: (building|compiling)/.test(l));
        assert.equal(lines.length, 1, `one line: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });
    }
    assert.equal(existsSync(data), false, 'nothing was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
