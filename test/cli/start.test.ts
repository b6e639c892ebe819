/**
 * `medchain start` as a user runs it, in child processes on a temp data directory: first run
 * creates keys and deploys, a second instance is refused, SIGTERM stops cleanly, a restart resumes
 * with the same contracts and data, and a start after kill -9 takes over the stale lock. Each role
 * has its own keystore: the operator (registered as anchorer) is not the admin, custodian keystores
 * do not open with the other passphrases, start works with keys/admin.json moved away, and a data
 * directory whose admin was the operator migrates once. A busy port is one line and frees the lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { medChainContracts, Role, type MedChainAddresses } from '../../src/sdk/contracts.ts';
import { decryptKeystore } from '../../src/crypto/keystore.ts';
import { legacyCustodianKeys } from '../../src/keys/keyRing.ts';
import { openCustodianKeystore } from '../../src/cli/roleKeys.ts';
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

/** A command that must fail: its exit code and stderr. */
function failing(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  return exited(child).then((code) => ({ code, stderr }));
}

const oneCleanLine = (stderr: string) => {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('medchain:'));
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
};

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

    // Separate keys: the operator is its own account, registered as anchorer, neither admin nor provider.
    const deployment = JSON.parse(readFileSync(join(dataDir, 'deployment.json'), 'utf8'));
    assert.ok(deployment.operator && deployment.operator !== deployment.admin);
    assert.equal(await read3.accessLogAnchor.read.isAnchorer([deployment.operator]), true);
    assert.equal(await read3.identity.read.isAdmin([deployment.operator]), false);
    assert.equal(await read3.identity.read.isActiveProvider([deployment.operator]), false);
    // Custodian keystores open only with their own passphrases, and the gateway publishes them.
    const config = await (await fetch(`${third.url}/api/config`)).json() as { escrow: { threshold: number; custodians: Array<{ id: string }> } };
    assert.equal(config.escrow.custodians.length, 2);
    for (const i of [0, 1]) {
      const file = join(dataDir, 'keys', `custodian-${i}.json`);
      await assert.rejects(openCustodianKeystore(file, { passphrase: env.MEDCHAIN_PASSPHRASE, source: 'the data directory passphrase' }), /cannot open/);
      const own = readFileSync(join(dataDir, 'keys', `custodian-${i}.passphrase`), 'utf8').trim();
      assert.equal((await openCustodianKeystore(file, { passphrase: own, source: 'test' })).key.id, config.escrow.custodians[i]!.id);
    }
    assert.match(third.stderr(), /escrow custodian passphrases are stored on this host/);
    third.child.kill('SIGTERM');
    assert.equal(await exited(third.child), 0);

    // A busy port: one clear line, exit 1, and the data-directory lock is released.
    const port = 0x4000 + (process.pid % 1000) * 2;
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(port, '127.0.0.1', ok));
    try {
      const busy = await failing(['start', '--data-dir', dataDir, '--port', String(port), '--rpc-port', String(port + 1)]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`medchain: the gateway port ${port} on 127.0.0.1 is already in use: stop what listens there or choose another --port`));
      oneCleanLine(busy.stderr);
      assert.equal(existsSync(join(dataDir, 'medchain.lock')), false, 'the lock is released');
      const busyRpc = await failing(['start', '--data-dir', dataDir, '--port', String(port + 1), '--rpc-port', String(port)]);
      assert.equal(busyRpc.code, 1);
      assert.match(busyRpc.stderr, /the chain JSON-RPC port \d+ on 127.0.0.1 is already in use: .* --rpc-port/);
      oneCleanLine(busyRpc.stderr);
      assert.equal(existsSync(join(dataDir, 'medchain.lock')), false);
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
    }

    // The admin key may leave the host after deployment: start works without it.
    const adminKey = (await decryptKeystore(JSON.parse(adminKeystore), env.MEDCHAIN_PASSPHRASE)).privateKey;
    const away = join(dataDir, 'admin-elsewhere.json');
    renameSync(join(dataDir, 'keys', 'admin.json'), away);
    const noAdmin = await run(args(port));
    assert.match(noAdmin.stderr(), /admin account .* \(key not on this host\)/);
    assert.equal((await (await fetch(`${noAdmin.url}/healthz`)).json()).status, 'ok');
    noAdmin.child.kill('SIGTERM');
    assert.equal(await exited(noAdmin.child), 0);

    // A data directory from before separate keys (the admin key was the operator, custodian keys
    // derived from it): without the admin key it says what to do; with it, it migrates once.
    const { operator: _operator, ...legacyDeployment } = deployment;
    writeFileSync(join(dataDir, 'deployment.json'), JSON.stringify(legacyDeployment));
    for (const name of ['operator.json', 'custodian-0.json', 'custodian-1.json', 'custodian-0.passphrase', 'custodian-1.passphrase']) rmSync(join(dataDir, 'keys', name));
    const refused = await failing(['start', '--data-dir', dataDir, '--port', String(port), '--rpc-port', String(port + 1)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /predates separate operator keys: put keys\/admin.json back for one start/);
    oneCleanLine(refused.stderr);
    renameSync(away, join(dataDir, 'keys', 'admin.json'));
    const migrated = await run(args(port));
    assert.match(migrated.stderr(), /Migrated: the gateway now relays and anchors with its own operator key/);
    const after = JSON.parse(readFileSync(join(dataDir, 'deployment.json'), 'utf8'));
    assert.ok(after.operator && after.operator !== deployment.operator && after.operator !== after.admin);
    const readM = medChainContracts(createPublicClient({ transport: http(migrated.rpcUrl) }), migrated.addresses);
    assert.equal(await readM.accessLogAnchor.read.isAnchorer([after.operator]), true);
    assert.equal(await readM.identity.read.roleOf([patient.account.address]), Role.Patient);
    // The shares deposited before the migration still open: each custodian keystore carries its legacy key.
    const legacy = legacyCustodianKeys(`0x${Buffer.from(adminKey).toString('hex')}`, 2);
    for (const i of [0, 1]) {
      const own = readFileSync(join(dataDir, 'keys', `custodian-${i}.passphrase`), 'utf8').trim();
      const opened = await openCustodianKeystore(join(dataDir, 'keys', `custodian-${i}.json`), { passphrase: own, source: 'test' });
      assert.deepEqual(opened.legacy.map((k) => [k.id, Buffer.from(k.privateKey).toString('hex')]), [[legacy[i]!.id, Buffer.from(legacy[i]!.privateKey).toString('hex')]]);
      assert.notEqual(opened.key.id, legacy[i]!.id, 'new shares go to new keys');
    }
    migrated.child.kill('SIGTERM');
    assert.equal(await exited(migrated.child), 0);

    // One secret for two custodians is refused before any custodian key is made.
    const initDir = mkdtempSync(join(tmpdir(), 'medchain-init-'));
    try {
      const sameSecret = await failing(['init', '--data-dir', initDir], { MEDCHAIN_CUSTODIAN_0_PASSPHRASE: 'one secret 1', MEDCHAIN_CUSTODIAN_1_PASSPHRASE: 'one secret 1' });
      assert.equal(sameSecret.code, 2);
      assert.match(sameSecret.stderr, /escrow custodians 0 and 1 have the same passphrase/);
      oneCleanLine(sameSecret.stderr);
      assert.equal(existsSync(join(initDir, 'keys', 'custodian-0.json')), false);
    } finally {
      rmSync(initDir, { recursive: true, force: true });
    }

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
