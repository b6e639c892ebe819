import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { hexToBytes } from 'viem';
import { encryptKeystore } from '../../src/crypto/keystore.ts';
import { tempDir } from './helpers.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'chain', 'main.ts');

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const listening = new Promise<{ httpUrl: string } | undefined>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try { const m = JSON.parse(line); if (m.event === 'listening') resolve(m); } catch { /* not ours */ }
    });
    child.once('exit', () => resolve(undefined));
  });
  return { child, listening, stderr: () => stderr };
}

test('main.ts starts a production node sealing with the key from an encrypted keystore; bad input exits with a clear error', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const key = generatePrivateKey();
    const keystorePath = join(dir.dir, 'authority.json');
    writeFileSync(keystorePath, JSON.stringify(await encryptKeystore(hexToBytes(key), 'correct horse', { scryptN: 2 ** 10 })));
    const args = ['--data-dir', join(dir.dir, 'chain'), '--port', '0', '--authority-keystore', keystorePath];

    const ok = run(args, { MEDCHAIN_AUTHORITY_PASSPHRASE: 'correct horse' });
    const info = await ok.listening;
    assert.ok(info, ok.stderr());
    const res = await fetch(info.httpUrl, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'clique_getSigners' }) });
    assert.deepEqual((await res.json() as { result: string[] }).result, [privateKeyToAddress(key).toLowerCase()]);
    ok.child.kill('SIGTERM');
    const [code] = await once(ok.child, 'exit');
    assert.equal(code, 0);

    const wrong = run(args, { MEDCHAIN_AUTHORITY_PASSPHRASE: 'wrong' });
    assert.equal(await wrong.listening, undefined);
    assert.equal(wrong.child.exitCode, 2);
    assert.match(wrong.stderr(), /wrong passphrase/);
    assert.doesNotMatch(wrong.stderr(), /correct horse|\n\s+at /);

    const missing = run(args, { MEDCHAIN_AUTHORITY_PASSPHRASE: '' });
    assert.equal(await missing.listening, undefined);
    assert.match(missing.stderr(), /passphrase is missing/);

    const badMode = run(['--data-dir', dir.dir, '--mode', 'turbo'], {});
    assert.equal(await badMode.listening, undefined);
    assert.match(badMode.stderr(), /--mode must be dev or production/);
  } finally {
    dir.remove();
  }
});
