/**
 * The web UI in Debian's Chromium (playwright-core), built with Vite from web/, served over real
 * HTTP together with a real chain: an in-process EDR node behind the gateway's JSON-RPC passthrough
 * (`POST /rpc`, src/gateway/routes/rpc.ts) and `GET /api/config` with the addresses of freshly
 * deployed contracts. Until the gateway server exists, the REST data routes answer 404 here and the
 * UI must say so honestly. Screenshots of every screen go to test-artifacts/ui/.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'vite';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createPublicClient, createWalletClient, custom, getAddress, keccak256, parseEther, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createEdrProvider, type Eip1193Provider } from '../../src/chain/edrProvider.ts';
import { rpcRoutes } from '../../src/gateway/routes/rpc.ts';
import type { GatewayEnv } from '../../src/gateway/routes/types.ts';
import { ConsentAbi, deployMedChain, IdentityAbi, RecordRegistryAbi, ProviderKind, type MedChainAddresses } from '../../src/sdk/contracts.ts';
import { prepareRecordVersion } from '../../src/sdk/records.ts';
import { decryptKeystore, encryptKeystore, generateEncryptionKeyPair, toHex } from '../../src/crypto/index.ts';
import { opaquePurpose } from '../purposes.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, '.tmp', 'web-dist-ui-test');
const SHOTS = join(ROOT, 'test-artifacts', 'ui');
const DEPLOYER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const APPLICANT_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const PASSPHRASE = 'correct horse battery';

let browser: Browser;
let server: ServerType;
let origin: string;
let chain: Eip1193Provider;
let client: PublicClient;
let addresses: MedChainAddresses;
const deployer = privateKeyToAccount(DEPLOYER_KEY);
/** The patient's key backup as the browser stored it (test 1), re-imported in test 3. */
let patientBackup: string;
let patientAddress: Address;
const applicant = privateKeyToAccount(APPLICANT_KEY);
const applicantEncryption = generateEncryptionKeyPair();

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  assert.ok(existsSync(join(ROOT, 'contracts', 'build', 'abis.ts')), 'compile the contracts first: npm run build');
  rmSync(DIST, { recursive: true, force: true });
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), build: { outDir: DIST, emptyOutDir: true }, logLevel: 'error' });
  mkdirSync(SHOTS, { recursive: true });

  chain = await createEdrProvider({ chainId: 31337, accounts: [DEPLOYER_KEY, APPLICANT_KEY], initialTimestamp: BigInt(Math.floor(Date.now() / 1000)) });
  client = createPublicClient({ transport: custom(chain), pollingInterval: 50 }) as PublicClient;
  const wallet = createWalletClient({ account: deployer, transport: custom(chain) });
  addresses = await deployMedChain(wallet as never, client);

  const app = new Hono();
  app.get('/api/config', (c) => c.json({ chainId: 31337, addresses }));
  // No sign-in on this test server: /rpc answers as it does for an auditor or admin session.
  const rpc = new Hono<GatewayEnv>();
  rpc.use('*', async (c, next) => { c.set('session', { address: deployer.address, role: 'admin' }); await next(); });
  rpc.route('/', rpcRoutes(chain.request));
  app.route('/rpc', rpc);
  app.all('/api/*', (c) => c.json({ error: 'not served by this test server' }, 404));
  app.all('/auth/*', (c) => c.json({ error: 'not served by this test server' }, 404));
  app.use('/*', serveStatic({ root: DIST }));
  app.get('*', serveStatic({ path: join(DIST, 'index.html') }));
  server = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s)); });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function newPage(width = 1100, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  // Test-only: cheap scrypt (N = 2^10) so that key derivation takes milliseconds.
  await context.addInitScript(() => localStorage.setItem('medchain.scryptN', '1024'));
  const page = await context.newPage();
  page.on('pageerror', (error) => { throw error; });
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Every form control on the page has a label a screen reader announces. */
async function assertLabelled(page: Page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
}

async function fund(address: Address) {
  await chain.request({ method: 'eth_sendTransaction', params: [{ from: deployer.address, to: address, value: `0x${parseEther('1').toString(16)}` }] } as never);
}

it('patient: creates a keystore in the browser, registers on chain with a real transaction, sees the role; explorer shows it', { timeout: 60_000 }, async () => {
  const page = await newPage();
  await page.goto(`${origin}/#/patient`);
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await shot(page, 'signin');
  await assertLabelled(page);
  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

  // Bad input: mismatched passphrases are refused and nothing is stored.
  await page.getByLabel('New passphrase').fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').first().fill('something else entirely');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'the two passphrases differ' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('medchain.keystores.v1')), null);

  await page.getByLabel('Repeat passphrase').first().fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  const address = getAddress(await page.getByTestId('address').textContent() ?? '');
  await page.getByTestId('role').filter({ hasText: 'No role yet' }).waitFor();
  // Without the gateway server the SIWE sign-in fails, and the UI says so.
  assert.match(await page.getByTestId('gateway-status').textContent() ?? '', /gateway sign-in failed/);

  // Only encrypted keystores are stored; the private key appears nowhere in storage.
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('medchain.keystores.v1')) ?? 'null');
  assert.equal(stored.account.version, 3);
  assert.equal(getAddress(stored.address), address);
  const accountKey = await decryptKeystore(stored.account, PASSPHRASE);
  const encryptionKey = await decryptKeystore(stored.encryption, PASSPHRASE);
  const dump = JSON.stringify(await page.evaluate(() => ({ ...localStorage })));
  assert.ok(!dump.includes(toHex(accountKey.privateKey).slice(2)) && !dump.includes(toHex(encryptionKey.privateKey).slice(2)));

  patientBackup = JSON.stringify(stored);
  patientAddress = address;
  await fund(address);
  await page.getByRole('button', { name: 'Register as patient' }).click();
  await page.getByTestId('role').filter({ hasText: /^Patient$/ }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'roleOf', args: [address] }), 1);
  assert.equal(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [address] }), toHex(encryptionKey.publicKey!));
  await shot(page, 'patient');

  // Lock, a wrong passphrase is refused, the right one unlocks the same account.
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('alert').filter({ hasText: 'wrong passphrase' }).waitFor();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  assert.equal(getAddress(await page.getByTestId('address').textContent() ?? ''), address);

  for (const screen of ['provider', 'admin'] as const) {
    await page.goto(`${origin}/#/${screen}`);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await shot(page, `${screen}-as-patient`);
  }

  // Explorer: real blocks and the registration event decoded with the ABIs.
  await page.goto(`${origin}/#/explorer`);
  await page.getByTestId('event').filter({ hasText: 'Identity.PatientRegistered' }).first().waitFor();
  await page.getByTestId('block-row').first().waitFor();
  const logs = await client.getContractEvents({ address: addresses.identity, abi: IdentityAbi, eventName: 'PatientRegistered', fromBlock: 0n });
  const registration = logs.find((l) => getAddress(l.args.patient!) === address)!;
  await page.getByLabel('Transaction hash or record id').fill(registration.transactionHash);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByTestId('lookup-tx').filter({ hasText: 'Identity.PatientRegistered' }).waitFor();
  // A record the patient registers on chain (signed with the key the browser made): look-up and integrity check.
  const patientWallet = createWalletClient({ account: privateKeyToAccount(toHex(accountKey.privateKey) as Hex), transport: custom(chain) });
  const prepared = await prepareRecordVersion({ plaintext: new TextEncoder().encode('{"resourceType":"Observation"}'), patient: address, resourceType: 'Observation', recipients: [{ address, publicKey: encryptionKey.publicKey! }] });
  await client.waitForTransactionReceipt({ hash: await patientWallet.writeContract({ chain: null, address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'addRecord', args: [prepared.recordId, address, prepared.category, prepared.contentId, prepared.integrityHash] }) });
  await page.getByLabel('Transaction hash or record id').fill(prepared.recordId);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByTestId('lookup-record').filter({ hasText: address }).filter({ hasText: prepared.integrityHash }).waitFor();
  await page.getByLabel('Record id', { exact: true }).fill(prepared.recordId);
  await page.getByLabel('Integrity hash').fill(prepared.integrityHash);
  await page.getByRole('button', { name: 'Verify on chain' }).click();
  await page.getByText('Matches the chain').waitFor();
  await page.getByLabel('Integrity hash').fill(keccak256(prepared.integrityHash));
  await page.getByRole('button', { name: 'Verify on chain' }).click();
  await page.getByText('Does not match the chain').waitFor();
  await page.getByTestId('event').filter({ hasText: 'RecordRegistry.RecordAdded' }).first().waitFor();
  await shot(page, 'explorer');
  // Bad input in the look-up: a clear error.
  await page.getByLabel('Transaction hash or record id').fill(`0x${'ab'.repeat(32)}`);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByRole('alert').filter({ hasText: 'no transaction and no record has this id' }).waitFor();
  await page.context().close();
});

it('admin: imports a key backup and accredits a provider with the approvals the threshold needs', { timeout: 60_000 }, async () => {
  // The applicant applies as a provider on chain (its own transaction).
  const applicantWallet = createWalletClient({ account: applicant, transport: custom(chain) });
  const applyHash = await applicantWallet.writeContract({
    chain: null, address: addresses.identity, abi: IdentityAbi, functionName: 'applyAsProvider',
    args: [ProviderKind.Doctor, toHex(applicantEncryption.publicKey) as Hex, `0x${'11'.repeat(32)}`],
  });
  await client.waitForTransactionReceipt({ hash: applyHash });

  const backup = {
    address: deployer.address,
    account: await encryptKeystore(Buffer.from(DEPLOYER_KEY.slice(2), 'hex'), PASSPHRASE, { scryptN: 1024 }),
    encryption: await encryptKeystore(generateEncryptionKeyPair().privateKey, PASSPHRASE, { kind: 'encryption', scryptN: 1024 }),
  };
  const page = await newPage(390, 844); // phone-sized
  await page.goto(`${origin}/#/admin`);
  // Bad input: a file that is not a key backup.
  await page.getByLabel('Backup file (medchain-keys.json)').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":1}') });
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import and unlock' }).click();
  await page.getByRole('alert').filter({ hasText: 'no valid encryption keystore' }).waitFor();

  await page.getByLabel('Backup file (medchain-keys.json)').setInputFiles({ name: 'medchain-keys.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(backup)) });
  await page.getByRole('button', { name: 'Import and unlock' }).click();
  await page.getByTestId('role').filter({ hasText: 'Admin' }).waitFor();
  await page.getByRole('heading', { name: 'Validator set' }).waitFor();
  // The heading renders before the list is read from the chain: wait for the entry itself.
  await page.getByTestId('validator').filter({ hasText: deployer.address }).waitFor();

  await page.getByLabel('Provider address').fill(applicant.address);
  await page.getByRole('button', { name: 'Check status' }).click();
  await page.getByTestId('provider-status').filter({ hasText: 'pending' }).waitFor();
  await page.getByRole('button', { name: 'Approve accreditation' }).click();
  await page.getByTestId('provider-status').filter({ hasText: 'accredited' }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'isActiveProvider', args: [applicant.address] }), true);
  await shot(page, 'admin-phone');
  await assertLabelled(page);
  // Phone-sized: nothing overflows the viewport horizontally.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await page.context().close();
});

it('consent: the patient approves a provider request by transaction, sees it on the timeline, revokes it, and is alerted to break-glass', { timeout: 60_000 }, async () => {
  assert.ok(patientBackup && patientAddress, 'runs after the patient and admin tests');
  const applicantWallet = createWalletClient({ account: applicant, transport: custom(chain) });
  const terms = { grantee: applicant.address, scopeKind: 0, scopeValue: `0x${'00'.repeat(32)}` as Hex, permissions: 1, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: BigInt(Math.floor(Date.now() / 1000) + 7200) };
  await client.waitForTransactionReceipt({ hash: await applicantWallet.writeContract({ chain: null, address: addresses.consent, abi: ConsentAbi, functionName: 'requestAccess', args: [patientAddress, terms] }) });

  const page = await newPage();
  await page.goto(`${origin}/#/patient`);
  await page.getByLabel('Backup file (medchain-keys.json)').setInputFiles({ name: 'medchain-keys.json', mimeType: 'application/json', buffer: Buffer.from(patientBackup) });
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import and unlock' }).click();
  const request = page.getByTestId('request').first();
  await request.waitFor();
  // This test server has no gateway, which holds the patient's key that purpose tags are made with:
  // the requested purpose is an opaque tag here (the journey test, with a gateway, reads it), and
  // approving it as asked keeps that tag.
  assert.match(await request.textContent() ?? '', /all records, read, purpose unknown/);
  assert.match(await request.textContent() ?? '', /for the purpose asked/);
  await request.getByRole('button', { name: 'Approve' }).click();
  const active = page.getByTestId('grant').filter({ hasText: 'left' });
  await active.waitFor({ timeout: 20_000 });
  assert.match(await active.textContent() ?? '', /\dh|\dm/);
  const [grantId] = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantsOfPatient', args: [patientAddress] });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantState', args: [grantId!] }), 2);

  // The provider's screen lists the patient under care with the time left.
  const providerPage = await newPage();
  await providerPage.goto(`${origin}/#/provider`);
  const providerBackup = {
    address: applicant.address,
    account: await encryptKeystore(Buffer.from(APPLICANT_KEY.slice(2), 'hex'), PASSPHRASE, { scryptN: 1024 }),
    encryption: await encryptKeystore(applicantEncryption.privateKey, PASSPHRASE, { kind: 'encryption', scryptN: 1024 }),
  };
  await providerPage.getByLabel('Backup file (medchain-keys.json)').setInputFiles({ name: 'medchain-keys.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(providerBackup)) });
  await providerPage.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await providerPage.getByRole('button', { name: 'Import and unlock' }).click();
  await providerPage.getByTestId('patient').filter({ hasText: patientAddress }).waitFor();
  assert.equal(await providerPage.getByTestId('med-balance').textContent(), '0 MED');
  assert.equal(await providerPage.getByText('The encryption key registered on chain is not the one in this browser').count(), 0);
  await shot(providerPage, 'provider');
  await assertLabelled(providerPage);
  await providerPage.context().close();

  // Break-glass by the (accredited) provider: the patient's screen raises a live alert from the chain's events.
  await client.waitForTransactionReceipt({ hash: await applicantWallet.writeContract({ chain: null, address: addresses.consent, abi: ConsentAbi, functionName: 'openEmergencyAccess', args: [patientAddress, keccak256('0x01')] }) });
  await page.reload();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('alert').filter({ hasText: 'LIVE emergency access' }).waitFor({ timeout: 20_000 });
  await shot(page, 'patient-consent');
  await assertLabelled(page);

  // The patient closes it: the close holds (the provider cannot re-open) until the patient allows it again.
  await page.getByRole('button', { name: 'Close it now' }).click();
  await page.getByTestId('emergency-barred').waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'emergencyReopenBarred', args: [patientAddress, applicant.address] }), true);
  await assert.rejects(client.simulateContract({ account: applicant.address, address: addresses.consent, abi: ConsentAbi, functionName: 'openEmergencyAccess', args: [patientAddress, keccak256('0x02')] }), /EmergencyReopenBarred/);
  await page.getByTestId('emergency-barred').getByRole('button', { name: 'Allow again' }).click();
  await page.getByTestId('emergency-barred').waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'emergencyReopenBarred', args: [patientAddress, applicant.address] }), false);

  await page.getByTestId('grant').filter({ hasText: 'left' }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByTestId('grant').filter({ hasText: 'revoked' }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantState', args: [grantId!] }), 4);
  await page.context().close();
});
