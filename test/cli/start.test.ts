/**
 * `medchain start` as a user runs it, in child processes on a temp data directory: first run
 * creates keys and deploys, a second instance is refused, SIGTERM stops cleanly, a restart resumes
 * with the same contracts and data, and a start after kill -9 takes over the stale lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { medChainContracts, Role, type MedChainAddresses } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { registerThroughGateway } from '../../src/sdk/onboarding.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
const env = { ...process.env, MEDCHAIN_PASSPHRASE: 'test passphrase 1', MEDCHAIN_SCRYPT_N: '1024', MEDCHAIN_LOG_LEVEL: 'warn' };

interface Started { child: ChildProcess; url: string; rpcUrl: string; addresses: MedChainAddresses; stderr: () => string }

function run(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
      if (line) {
        const started = JSON.parse(line);
        ok({ child, url: started.url, rpcUrl: started.rpcUrl, addresses: started.addresses, stderr: () => err });
      }
    });
    child.once('exit', (code) => fail(Object.assign(new Error(`medchain exited with ${code}: ${err}`), { code, stderr: err })));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));

test('medchain start: first run, second instance refused, clean stop, resume, kill -9 recovery', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-start-'));
  const args = (port: number) => ['start', '--data-dir', dataDir, '--port', String(port), '--rpc-port', String(port + 1)];
  try {
    const first = await run(args(0x4000 + (process.pid % 1000) * 2));
    assert.ok(existsSync(join(dataDir, 'keys', 'admin.json')) && existsSync(join(dataDir, 'deployment.json')));
    const adminKeystore = readFileSync(join(dataDir, 'keys', 'admin.json'), 'utf8');
    assert.doesNotMatch(first.stderr(), new RegExp(env.MEDCHAIN_PASSPHRASE), 'the passphrase is never printed');
    assert.equal(JSON.parse(adminKeystore).crypto.kdf, 'scrypt');
    assert.equal((await (await fetch(`${first.url}/healthz`)).json()).status, 'ok');

    // A patient registers through the gateway's onboarding (the node is permissioned), then sends their own transaction.
    const chain = defineChain({ id: 1337, name: 'm', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [first.rpcUrl] } } });
    const transport = http(first.rpcUrl);
    const client = createPublicClient({ chain, transport });
    const patient = createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain, transport });
    assert.equal((await registerThroughGateway(new GatewayClient(first.url), patient.account, { role: 'patient', encryptionKey: `0x${'12'.repeat(32)}`, metadataHash: `0x${'34'.repeat(32)}` })).admitted, true);
    const hash = await medChainContracts(patient, first.addresses).identity.write.setMetadataHash([`0x${'56'.repeat(32)}`]);
    assert.equal((await client.waitForTransactionReceipt({ hash, pollingInterval: 100 })).status, 'success');

    // A second instance on the same data directory is refused with a clear message.
    const second = await run(args(0x5000 + (process.pid % 1000) * 2)).catch((e) => e as Error & { code: number; stderr: string });
    assert.ok(second instanceof Error);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already running/);

    // SIGTERM: clean stop; restart resumes (same contracts, the patient still registered).
    first.child.kill('SIGTERM');
    assert.equal(await exited(first.child), 0);
    const again = await run(args(0x4000 + (process.pid % 1000) * 2));
    assert.deepEqual(again.addresses, first.addresses);
    const read = medChainContracts(createPublicClient({ transport: http(again.rpcUrl) }), again.addresses);
    assert.equal(await read.identity.read.roleOf([patient.account.address]), Role.Patient);

    // kill -9: the lock is stale; the next start takes it over and everything is still there.
    again.child.kill('SIGKILL');
    await exited(again.child);
    const third = await run(args(0x4000 + (process.pid % 1000) * 2));
    const read3 = medChainContracts(createPublicClient({ transport: http(third.rpcUrl) }), third.addresses);
    assert.equal(await read3.identity.read.roleOf([patient.account.address]), Role.Patient);
    third.child.kill('SIGTERM');
    assert.equal(await exited(third.child), 0);

    // A wrong passphrase is refused at start.
    const wrong = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args(0)], { env: { ...env, MEDCHAIN_PASSPHRASE: 'another passphrase' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let wrongErr = '';
    wrong.stderr!.on('data', (d) => { wrongErr += d; });
    assert.equal(await exited(wrong), 1);
    assert.match(wrongErr, /cannot open .*admin|authority/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
