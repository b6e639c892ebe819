/**
 * The record path of the web UI end to end, in Chromium, against the real gateway (startGateway:
 * SIWE auth, record and consent routes, indexer, access log, JSON-RPC passthrough, the built UI)
 * over SQLite and a filesystem blob store, on an in-process EDR chain.
 *
 * Patient grants a provider read+write by an EIP-712 signature relayed by the gateway; the provider
 * writes an Observation (encrypted in the browser, ciphertext uploaded, registered on chain,
 * envelopes deposited); the patient decrypts it with the integrity badge checked against the
 * chain, exports a FHIR Bundle and erases the record.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  createPublicClient, createWalletClient, custom, encodeFunctionData, type Abi, type Address, type Hex, type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createEdrProvider, type Eip1193Provider } from '../../src/chain/edrProvider.ts';
import { startGateway, type Gateway } from '../../src/gateway/server.ts';
import {
  ConsentAbi, IdentityAbi, ProviderKind, RecordRegistryAbi, deployMedChain, type MedChainAddresses,
} from '../../src/sdk/contracts.ts';
import { encryptKeystore, generateEncryptionKeyPair, toHex } from '../../src/crypto/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, '.tmp', 'web-dist-ui-records-test');
const SHOTS = join(ROOT, 'test-artifacts', 'ui');
const KEYS = {
  deployer: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  relayer: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  patient: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  provider: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
} as const satisfies Record<string, Hex>;
const PASSPHRASE = 'correct horse battery';

let browser: Browser;
let gateway: Gateway;
let origin: string;
let chain: Eip1193Provider;
let client: PublicClient;
let addresses: MedChainAddresses;
let dataDir: string;
const patient = privateKeyToAccount(KEYS.patient);
const provider = privateKeyToAccount(KEYS.provider);
const patientEnc = generateEncryptionKeyPair();
const providerEnc = generateEncryptionKeyPair();

async function send(key: Hex, call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }) {
  const wallet = createWalletClient({ account: privateKeyToAccount(key), transport: custom(chain) });
  const hash = await wallet.writeContract({ ...call, chain: null } as never);
  const receipt = await client.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  rmSync(DIST, { recursive: true, force: true });
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), build: { outDir: DIST, emptyOutDir: true }, logLevel: 'error' });
  mkdirSync(SHOTS, { recursive: true });

  chain = await createEdrProvider({ chainId: 31337, accounts: Object.values(KEYS), initialTimestamp: BigInt(Math.floor(Date.now() / 1000)) });
  client = createPublicClient({ transport: custom(chain), pollingInterval: 50 }) as PublicClient;
  addresses = await deployMedChain(createWalletClient({ account: privateKeyToAccount(KEYS.deployer), transport: custom(chain) }) as never, client);
  await send(KEYS.patient, { address: addresses.identity, abi: IdentityAbi, functionName: 'registerPatient', args: [toHex(patientEnc.publicKey), `0x${'00'.repeat(32)}`] });
  await send(KEYS.provider, { address: addresses.identity, abi: IdentityAbi, functionName: 'applyAsProvider', args: [ProviderKind.Lab, toHex(providerEnc.publicKey), `0x${'00'.repeat(32)}`] });
  await send(KEYS.deployer, { address: addresses.identity, abi: IdentityAbi, functionName: 'approve', args: [addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [provider.address] })] });

  dataDir = mkdtempSync(join(tmpdir(), 'medchain-ui-gateway-'));
  gateway = await startGateway({
    dataDir, port: 0, provider: chain, chainId: 31337, addresses, operatorKey: KEYS.relayer, webDist: DIST,
    pollMs: 50, anchorPeriodSeconds: 3600, rateLimitPerMinute: 100_000,
  });
  origin = gateway.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await gateway?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signedInPage(key: Hex, encryption: Uint8Array, screen: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  // Controllable browser clock (flows naturally until fast-forwarded): used to reach the end of an access window.
  await context.clock.install();
  const page = await context.newPage();
  page.on('pageerror', (error) => { throw error; });
  await page.goto(`${origin}/#/${screen}`);
  const backup = {
    address: privateKeyToAccount(key).address,
    account: await encryptKeystore(Buffer.from(key.slice(2), 'hex'), PASSPHRASE, { scryptN: 1024 }),
    encryption: await encryptKeystore(encryption, PASSPHRASE, { kind: 'encryption', scryptN: 1024 }),
  };
  await page.getByLabel('Backup file (medchain-keys.json)').setInputFiles({ name: 'medchain-keys.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(backup)) });
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import and unlock' }).click();
  await page.getByTestId('gateway-status').filter({ hasText: 'signed in' }).waitFor();
  return page;
}

it('records: relayed grant, provider writes an encrypted record, patient decrypts it with on-chain integrity, exports and erases it; a PDF is previewed inline', { timeout: 90_000 }, async () => {
  const patientPage = await signedInPage(KEYS.patient, patientEnc.privateKey, 'patient');
  await patientPage.getByRole('heading', { name: 'My records' }).waitFor();
  await patientPage.getByText('No records yet.').waitFor();

  // Grant read + write to the provider by an EIP-712 signature relayed by the gateway (default when signed in).
  const grantCard = patientPage.locator('section', { has: patientPage.getByRole('heading', { name: 'Grant a provider access' }) });
  // This provider published no profile: chosen by address.
  await grantCard.getByText("Or enter a provider's address").click();
  await grantCard.getByLabel('Provider address').fill(provider.address);
  await grantCard.getByRole('button', { name: 'Use this address' }).click();
  await grantCard.getByLabel('Write').check();
  await grantCard.getByRole('button', { name: 'Grant access' }).click();
  await grantCard.getByText('Granted').waitFor({ timeout: 20_000 });
  const [grantId] = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantsOfPatient', args: [patient.address] });
  const grant = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [grantId!] });
  assert.equal(grant.grantee, provider.address);
  assert.equal(grant.permissions, 3);

  // The provider writes an Observation for the patient.
  const providerPage = await signedInPage(KEYS.provider, providerEnc.privateKey, 'provider');
  await providerPage.getByTestId('patient').filter({ has: providerPage.locator(`[title="${patient.address}"]`) }).getByRole('button', { name: 'Open records' }).click();
  await providerPage.getByLabel('Observation (e.g. HbA1c)').fill('HbA1c');
  await providerPage.getByLabel('Value').fill('6.1');
  await providerPage.getByLabel('Unit').fill('%');
  await providerPage.getByRole('button', { name: 'Encrypt and save' }).click();
  await providerPage.getByText(/Saved Observation 0x[0-9a-f]{64} v1/).waitFor({ timeout: 20_000 });
  const [recordId] = await client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'recordsOf', args: [patient.address] });
  // The provider reads it within the window; when the window ends the decrypted data leaves the screen.
  // It appears in the provider's list without a reload, opened and shown for people.
  const providerRecord = providerPage.getByTestId('record').first();
  await providerRecord.getByText('HbA1c: 6.1 %').waitFor();
  await providerRecord.getByTestId('integrity').filter({ hasText: 'Integrity verified on chain' }).waitFor();
  await providerPage.screenshot({ path: join(SHOTS, 'provider-records.png'), fullPage: true });
  await providerPage.clock.fastForward('24:00:05');
  await providerRecord.getByText('Your access window ended; the decrypted data was cleared.').waitFor();
  assert.equal(await providerPage.getByText('HbA1c: 6.1 %').count(), 0);
  assert.equal(await providerPage.getByText('"resourceType": "Observation"').count(), 0);

  // The patient decrypts it in the browser; integrity checked against the chain.
  await patientPage.reload();
  await patientPage.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await patientPage.getByRole('button', { name: 'Unlock' }).click();
  const record = patientPage.getByTestId('record').first();
  await record.getByText('HbA1c: 6.1 %').waitFor();
  await record.getByTestId('integrity').filter({ hasText: 'Integrity verified on chain' }).waitFor();
  await patientPage.screenshot({ path: join(SHOTS, 'patient-records.png'), fullPage: true });

  // Export: a FHIR Bundle assembled in the browser from the decrypted records.
  const [download] = await Promise.all([patientPage.waitForEvent('download'), patientPage.getByRole('button', { name: 'Export my data (FHIR Bundle)' }).click()]);
  const bundle = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.entry.length, 1);
  assert.equal(bundle.entry[0].resource.valueQuantity.value, 6.1);
  assert.equal(bundle.entry[0].fullUrl, `urn:medchain:record:${recordId!.toLowerCase()}:v1`);

  // Erase: tombstone on chain, ciphertext and envelopes shredded by the gateway.
  patientPage.once('dialog', (d) => void d.accept());
  await record.getByRole('button', { name: 'Erase this record' }).click();
  await record.getByText(/erased/).first().waitFor({ timeout: 20_000 });
  const onChain = await client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getRecord', args: [recordId!] });
  assert.ok(onChain.erasedAt > 0n);

  // A PDF of the patient's own is previewed inline from the decrypted bytes: a blob: frame that the
  // gateway's CSP admits (frame-src blob:; a blocked frame would show chrome-error instead), with
  // the download kept; leaving the screen revokes the object URL.
  const addOwn = patientPage.locator('section', { has: patientPage.getByRole('heading', { name: 'Add a record of my own' }) });
  await addOwn.getByLabel('Record type').selectOption({ label: 'File attachment' });
  const pdfBytes = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  await addOwn.getByLabel('File', { exact: true }).setInputFiles({ name: 'lab-report.pdf', mimeType: 'application/pdf', buffer: pdfBytes });
  await addOwn.getByRole('button', { name: 'Encrypt and save' }).click();
  await addOwn.getByText(/Saved Binary 0x[0-9a-f]{64} v1/).waitFor({ timeout: 20_000 });
  const preview = patientPage.getByTestId('record').getByTestId('pdf-preview');
  await preview.waitFor();
  await patientPage.waitForFunction(() => document.querySelector('[data-testid="pdf-preview"]')?.getAttribute('src')?.startsWith('blob:'));
  const src = (await preview.getAttribute('src'))!;
  assert.ok(src.startsWith(`blob:${origin}/`), src);
  const downloadLink = patientPage.getByTestId('record').getByTestId('attachment-download');
  assert.equal(await downloadLink.getAttribute('href'), src);
  assert.equal(await downloadLink.getAttribute('download'), 'lab-report.pdf');
  // The page's own CSP keeps fetch() off blob: URLs (connect-src 'self'), so the bytes are checked
  // through what a person gets: the PDF viewer inside the frame, and the downloaded file.
  const viewerLoaded = () => patientPage.frames().some((f) => f.url() === src && f.childFrames().some((c) => c.url().startsWith('chrome-extension://')));
  for (let i = 0; i < 100 && !viewerLoaded(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(viewerLoaded(), `the PDF viewer runs in the preview frame, not blocked: ${patientPage.frames().map((f) => f.url()).join(' ')}`);
  const [saved] = await Promise.all([patientPage.waitForEvent('download'), downloadLink.click()]);
  assert.equal(saved.suggestedFilename(), 'lab-report.pdf');
  assert.deepEqual(readFileSync(await saved.path()), pdfBytes);
  await patientPage.screenshot({ path: join(SHOTS, 'patient-pdf-preview.png'), fullPage: true });
  // Leaving the screen unmounts the record: its object URL is revoked, a download of it fails.
  await patientPage.evaluate(() => { window.location.hash = '#/explorer'; });
  await preview.waitFor({ state: 'detached' });
  const [stale] = await Promise.all([patientPage.waitForEvent('download'), patientPage.evaluate((u) => { const a = document.createElement('a'); a.href = u; a.download = 'stale.pdf'; document.body.append(a); a.click(); a.remove(); }, src)]);
  assert.ok(await stale.failure(), 'the revoked URL yields no file');

  const logged = await gateway.accessLog.entries({ patient: patient.address, limit: 1000 });
  assert.ok(logged.some((e) => e.action && e.outcome === 'allowed'), 'the gateway logged the accesses');
  await patientPage.context().close();
  await providerPage.context().close();
});
