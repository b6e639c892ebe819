/**
 * The whole journey, as a hospital would run it: `medchain start` (the real command, a child
 * process on a temp data directory: embedded node, first-run deployment, gateway, the built UI in
 * web/dist) and three people in separate Chromium contexts, each with a browser keystore.
 *
 * Patient creates an account, registers and adds a record (sealed in the browser, escrow shares
 * deposited) → provider creates an account and applies → the admin imports the key from the data
 * directory's keystore (keys/admin.json), accredits the provider and changes incentive parameters
 * → the provider requests access → the patient approves a 45-second window (the data key is shared
 * with the provider) → the provider decrypts the record → meanwhile the patient extends and revokes
 * another grant by relayed signatures → the window closes and the data leaves the provider's screen
 * → the provider opens break-glass and reads the record through the escrow release, under an
 * "emergency access" banner → the patient sees the accesses in the audit trail and verifies one on
 * chain → the admin suspends the provider.
 *
 * Screenshots of each screen go to test-artifacts/journey/; with MEDCHAIN_UPDATE_SCREENSHOTS=1 they
 * also replace docs/screenshots/web-*.png.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createPublicClient, getAddress, http, type Address, type PublicClient } from 'viem';
import {
  ConsentAbi, GrantState, IdentityAbi, IncentivesAbi, MedTokenAbi, ProviderStatus, RecordRegistryAbi, type MedChainAddresses,
} from '../../src/sdk/contracts.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-artifacts', 'journey');
const DOC_SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSPHRASE = 'journey passphrase 1';
const WINDOW_SECONDS = 45; // short, with room for a loaded 2-core machine between approval and the read

let browser: Browser;
let medchain: ChildProcess;
let dataDir: string;
let origin: string;
let client: PublicClient;
let addresses: MedChainAddresses;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  assert.ok(existsSync(join(ROOT, 'contracts', 'build', 'abis.ts')), 'compile the contracts first: npm run build');
  // The UI `medchain start` serves: web/dist, built as `npm run build` builds it.
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error' });
  mkdirSync(SHOTS, { recursive: true });

  dataDir = mkdtempSync(join(tmpdir(), 'medchain-journey-'));
  medchain = spawn(process.execPath, [join(ROOT, 'bin', 'medchain.js'), 'start', '--data-dir', dataDir, '--port', '0', '--rpc-port', '0'], {
    env: { ...process.env, MEDCHAIN_PASSPHRASE: PASSPHRASE, MEDCHAIN_SCRYPT_N: '1024', MEDCHAIN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  medchain.stderr!.on('data', (d) => { stderr += d; });
  const started = await new Promise<{ url: string; rpcUrl: string; addresses: MedChainAddresses }>((ok, fail) => {
    let out = '';
    medchain.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
      if (line) ok(JSON.parse(line));
    });
    medchain.once('exit', (code) => fail(new Error(`medchain start exited with ${code}: ${stderr}`)));
  });
  origin = started.url.replace(/\/$/, '');
  addresses = started.addresses;
  client = createPublicClient({ transport: http(started.rpcUrl), pollingInterval: 100 }) as PublicClient;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  // What each page showed at the end (after a failure: where it stopped).
  for (const [i, page] of pages.entries()) if (!page.isClosed()) await page.evaluate(() => window.scrollTo(0, 0)).then(() => page.screenshot({ path: join(SHOTS, `last-${i}.png`), fullPage: true })).catch(() => undefined);
  await browser?.close();
  if (medchain && medchain.exitCode === null) {
    const exited = new Promise((ok) => medchain.once('exit', ok));
    medchain.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const pages: Page[] = [];
/** Uncaught errors in any page; the journey ends by asserting there were none. */
const pageErrors: string[] = [];

async function newPage(width = 1100, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  // Test-only: cheap scrypt (N = 2^10) for the keystores the browser creates.
  await context.addInitScript(() => localStorage.setItem('medchain.scryptN', '1024'));
  const page = await context.newPage();
  page.on('pageerror', (error) => { pageErrors.push(`${page.url()}: ${error.message}`); });
  pages.push(page);
  return page;
}

/**
 * A full-page screenshot into test-artifacts/journey/. With MEDCHAIN_UPDATE_SCREENSHOTS=1 a
 * viewport-sized one (smaller; scrolled to `focus` when given) replaces docs/screenshots/web-<name>.png.
 */
async function shot(page: Page, name: string, focus?: Locator) {
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header stays on top of the full page
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (process.env.MEDCHAIN_UPDATE_SCREENSHOTS === '1') {
    if (focus) await focus.evaluate((el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -64); }); // clear of the sticky header
    await page.screenshot({ path: join(DOC_SHOTS, `web-${name}.png`) });
    await page.evaluate(() => window.scrollTo(0, 0));
  }
}

/** Every form control has an accessible name. */
async function assertLabelled(page: Page) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
}

/**
 * Phone-sized (390 × 844): one column, nothing wider than the screen; a screenshot when named.
 * Restores the viewport after.
 */
async function phoneShot(page: Page, name?: string, focus?: Locator) {
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth + 1, undefined, { timeout: 5_000 });
  if (name) await shot(page, name, focus);
  await page.setViewportSize(size);
}

/** Creates an account in the browser (two keystores) and waits for the gateway sign-in. */
async function createAccount(page: Page, screen: string): Promise<Address> {
  await page.goto(`${origin}/#/${screen}`);
  await page.getByLabel('New passphrase').fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').first().fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('gateway-status').filter({ hasText: 'signed in' }).waitFor({ timeout: 20_000 });
  return getAddress(await page.getByTestId('address').textContent() ?? '');
}

const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

const PROVIDER_LABEL = 'Dr. Journey Test · General practice · Journey Clinic';
/** The element naming an account (a name shown, the address in its title). */
const titled = (page: Page, address: string) => page.locator(`[title="${address}"]`);

it('journey on `medchain start`: register, accredit, request, approve a short window, read, window ends, break-glass via escrow, audit, suspend', { timeout: 420_000 }, async () => {
  // ---- Patient: account, registration, a record of their own (escrow shares deposited).
  const patientPage = await newPage();
  await patientPage.goto(`${origin}/#/patient`);
  await patientPage.getByRole('heading', { name: 'Create an account' }).waitFor();
  await assertLabelled(patientPage);
  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await patientPage.keyboard.press('Tab');
  assert.equal(await patientPage.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await shot(patientPage, 'signin');
  const patient = await createAccount(patientPage, 'patient');
  await patientPage.getByRole('button', { name: 'Register as patient' }).click();
  await patientPage.getByTestId('role').filter({ hasText: 'Patient' }).waitFor({ timeout: 20_000 });
  const own = section(patientPage, 'Add a record of my own');
  await own.getByLabel('Observation (e.g. HbA1c)').fill('HbA1c');
  await own.getByLabel('Value').fill('6.1');
  await own.getByLabel('Unit').fill('%');
  await own.getByRole('button', { name: 'Encrypt and save' }).click();
  await own.getByText(/Saved Observation 0x[0-9a-f]{64} v1 \(emergency escrow: 2 of 2 custodians\)/).waitFor({ timeout: 30_000 });
  const [recordId] = await client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'recordsOf', args: [patient] });
  assert.ok(recordId);
  // It appears under "My records" once the gateway has indexed it.
  // Opened at once and shown for people: value and unit, not JSON.
  await section(patientPage, 'My records').getByTestId('record').filter({ hasText: 'HbA1c: 6.1 %' }).waitFor({ timeout: 30_000 });

  // ---- Provider: account and application.
  const providerPage = await newPage();
  const provider = await createAccount(providerPage, 'provider');
  // The professional profile is required, signed, and committed on chain with the application.
  await providerPage.getByRole('button', { name: 'Apply as provider' }).click();
  await providerPage.getByRole('alert').filter({ hasText: 'displayName is required' }).waitFor();
  await providerPage.getByLabel('Display name').fill('Dr. Journey Test');
  await providerPage.getByLabel('Specialty').fill('General practice');
  await providerPage.getByLabel('Organization').fill('Journey Clinic');
  await providerPage.getByLabel('Licence number').fill('GMC-1234567');
  await providerPage.getByRole('button', { name: 'Apply as provider' }).click();
  await providerPage.getByTestId('role').filter({ hasText: 'Provider' }).waitFor({ timeout: 20_000 });

  // ---- Admin: imports the key file `medchain start` created (keys/admin.json, encrypted with the
  // data-dir passphrase) as it is; the browser adds a record encryption key of its own.
  const adminPage = await newPage();
  await adminPage.goto(`${origin}/#/admin`);
  await adminPage.getByLabel('Backup file (medchain-keys.json)').setInputFiles(join(dataDir, 'keys', 'admin.json'));
  // A wrong passphrase is refused and stores nothing.
  await adminPage.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
  await adminPage.getByRole('button', { name: 'Import and unlock' }).click();
  await adminPage.getByRole('alert').filter({ hasText: 'wrong passphrase' }).waitFor({ timeout: 20_000 });
  assert.equal(await adminPage.evaluate(() => localStorage.getItem('medchain.keystores.v1')), null);
  await adminPage.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await adminPage.getByRole('button', { name: 'Import and unlock' }).click();
  await adminPage.getByTestId('role').filter({ hasText: 'Admin' }).waitFor({ timeout: 20_000 });
  // The pending application, with the profile the chain commits to.
  await section(adminPage, 'Accreditation').getByTestId('pending-application').filter({ hasText: PROVIDER_LABEL }).filter({ hasText: 'profile committed on chain' }).waitFor({ timeout: 20_000 });
  const stored = JSON.parse(await adminPage.evaluate(() => localStorage.getItem('medchain.keystores.v1')) ?? '{}');
  assert.equal(stored.account.address, JSON.parse(readFileSync(join(dataDir, 'keys', 'admin.json'), 'utf8')).address);
  assert.equal(stored.encryption.medchain.kind, 'encryption');
  await adminPage.getByLabel('Provider address').fill(provider);
  await adminPage.getByRole('button', { name: 'Check status' }).click();
  await adminPage.getByTestId('provider-status').filter({ hasText: 'pending' }).waitFor();
  // Approved from the pending list, where the admin sees the profile it checks.
  await adminPage.getByTestId('pending-application').filter({ hasText: PROVIDER_LABEL }).getByRole('button', { name: 'Approve accreditation' }).click();
  await adminPage.getByTestId('provider-status').filter({ hasText: 'accredited' }).waitFor({ timeout: 20_000 });
  await adminPage.getByTestId('pending-application').filter({ hasText: PROVIDER_LABEL }).waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'isActiveProvider', args: [provider] }), true);

  // Incentive parameters: read, then changed by governance (one admin: the threshold is 1).
  const incentives = section(adminPage, 'Incentive parameters');
  await incentives.getByTestId('author-reward').waitFor();
  await incentives.getByLabel('Author reward (MED)').fill('2.5');
  await incentives.getByLabel('Producer reward (MED)').fill('0.5');
  await incentives.getByRole('button', { name: 'Approve new rewards' }).click();
  await incentives.getByTestId('author-reward').filter({ hasText: '2.5 MED' }).waitFor({ timeout: 20_000 });
  await incentives.getByTestId('producer-reward').filter({ hasText: '0.5 MED' }).waitFor();
  assert.equal(await client.readContract({ address: addresses.incentives, abi: IncentivesAbi, functionName: 'authorReward' }), 25n * 10n ** 17n);
  // Bad input is refused before anything is signed.
  await incentives.getByLabel('Break-glass duration (minutes, 5–4320)').fill('2');
  await incentives.getByRole('button', { name: 'Approve break-glass duration' }).click();
  await incentives.getByRole('alert').filter({ hasText: 'from 5 to 4320' }).waitFor();
  await incentives.getByLabel('Break-glass duration (minutes, 5–4320)').fill('10');
  await incentives.getByRole('button', { name: 'Approve break-glass duration' }).click();
  await incentives.getByTestId('break-glass-duration').filter({ hasText: '10m' }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'breakGlassDuration' }), 600n);
  await incentives.getByLabel('Max validators (1–64)').fill('5');
  await incentives.getByRole('button', { name: 'Approve validator count' }).click();
  await incentives.getByTestId('max-validators').filter({ hasText: /^5$/ }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.incentives, abi: IncentivesAbi, functionName: 'maxValidators' }), 5n);
  await phoneShot(adminPage);
  await shot(adminPage, 'admin');

  // ---- Provider requests access (read, all records).
  await providerPage.getByRole('alert').filter({ hasText: 'waiting for accreditation' }).waitFor({ state: 'detached', timeout: 20_000 });
  // Accredited on chain: the UI signs in to the gateway again and gets the provider role.
  await providerPage.getByTestId('gateway-status').filter({ hasText: 'signed in (provider)' }).waitFor({ timeout: 20_000 });
  const request = section(providerPage, 'Request access');
  await request.getByLabel('Patient address').fill(patient);
  await request.getByRole('button', { name: 'Send request' }).click();
  await request.getByText('Requested; the patient decides').waitFor({ timeout: 20_000 });

  // ---- Patient approves for a 45-second window (relayed signature); the data key is shared.
  const waiting = patientPage.getByTestId('request').first();
  await waiting.waitFor({ timeout: 20_000 });
  await waiting.getByLabel('Window length (hours)').fill(String(WINDOW_SECONDS / 3600));
  await waiting.getByRole('button', { name: 'Approve' }).click();
  // Approved (and the key shared): the request leaves the waiting list.
  await waiting.waitFor({ state: 'detached', timeout: 30_000 });
  const [grantId] = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantsOfPatient', args: [patient] });
  const grant = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [grantId!] });
  assert.equal(grant.grantee, provider);
  const windowEnd = Number(grant.validUntil);
  const leftNow = windowEnd - Date.now() / 1000;
  assert.ok(leftNow > 5 && leftNow <= WINDOW_SECONDS + 1, `a ${WINDOW_SECONDS}-second window (${leftNow.toFixed(1)} s left)`);
  await section(patientPage, 'My grants').getByTestId('grant').filter({ hasText: 'left' }).waitFor({ timeout: 10_000 });
  await shot(patientPage, 'patient-consent', section(patientPage, 'My grants'));

  // ---- Provider reads the decrypted record within the window.
  const patients = providerPage.getByTestId('patient').filter({ has: titled(providerPage, patient) });
  await patients.waitFor({ timeout: 15_000 });
  await patients.getByRole('button', { name: 'Open records' }).click();
  const record = providerPage.getByTestId('record').filter({ hasText: 'Observation ·' });
  await record.getByText('HbA1c: 6.1 %').waitFor({ timeout: 15_000 });
  await record.getByTestId('integrity').filter({ hasText: 'Integrity verified on chain' }).waitFor();
  assert.ok(Date.now() / 1000 < windowEnd, 'read inside the window');
  await shot(providerPage, 'provider-records', section(providerPage, 'Patient records'));

  // ---- Meanwhile: the patient grants conditions (read + write) directly, extends the grant and
  // revokes it by relayed signatures; under it the provider adds a Condition and earns MedToken.
  const grantCard = section(patientPage, 'Grant a provider access');
  // Found by name in the directory.
  await grantCard.getByLabel('Find a provider by name').fill('journey');
  await grantCard.getByTestId('provider-result').filter({ hasText: PROVIDER_LABEL }).getByRole('radio').check();
  await grantCard.getByLabel('Scope').selectOption('Condition');
  await grantCard.getByLabel('Write').check();
  await grantCard.getByRole('button', { name: 'Grant access' }).click();
  await grantCard.getByText('Granted').waitFor({ timeout: 20_000 });
  const ids = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantsOfPatient', args: [patient] });
  const second = ids[ids.length - 1]!;
  assert.notEqual(second, grantId);
  const before = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [second] });
  const row = section(patientPage, 'My grants').getByTestId('grant').filter({ hasText: `#${second} ` });
  const newEnd = new Date((Number(before.validUntil) + 2 * 86400) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${newEnd.getFullYear()}-${pad(newEnd.getMonth() + 1)}-${pad(newEnd.getDate())}T${pad(newEnd.getHours())}:${pad(newEnd.getMinutes())}:${pad(newEnd.getSeconds())}`;
  await row.getByLabel(`New end of grant #${second}`).fill(local);
  await row.getByRole('button', { name: 'Extend' }).click();
  await row.getByText('Extended (signature relayed)').waitFor({ timeout: 20_000 });
  const extended = await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'getGrant', args: [second] });
  assert.equal(extended.validUntil, before.validUntil + 2n * 86400n);

  const form = section(providerPage, 'Patient records');
  await form.getByLabel('Record type').selectOption('Condition');
  await form.getByLabel('Condition', { exact: true }).fill('Type 2 diabetes mellitus');
  await form.getByLabel('Details').fill('diet-controlled');
  await form.getByRole('button', { name: 'Encrypt and save' }).click();
  await form.getByText(/Saved Condition 0x[0-9a-f]{64} v1/).waitFor({ timeout: 30_000 });
  // The author reward (2.5 MED, set by the admin above) shows on the provider's screen.
  await providerPage.getByTestId('med-balance').filter({ hasText: '2.5 MED' }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.token, abi: MedTokenAbi, functionName: 'balanceOf', args: [provider] }), 25n * 10n ** 17n);
  // The admin's leaderboard and validator set: the provider is the top (only) contributor.
  const leader = section(adminPage, 'Leaderboard').getByTestId('leader').filter({ hasText: 'Dr. Journey Test' });
  await leader.filter({ hasText: '2.5' }).waitFor({ timeout: 20_000 });
  assert.match(await leader.textContent() ?? '', /^1.*1.*2\.5.*accredited$/);
  // Scores alone do not move the validator set: the admin adopts the ranking (governance).
  await section(adminPage, 'Validator set').getByRole('button', { name: 'Approve adopting the ranking' }).click();
  await section(adminPage, 'Validator set').getByTestId('validator').filter({ hasText: provider }).waitFor({ timeout: 20_000 });
  await shot(adminPage, 'admin-leaderboard', section(adminPage, 'Leaderboard'));

  // Keyboard only: focus the button and press Enter.
  await row.getByRole('button', { name: 'Revoke' }).focus();
  await patientPage.keyboard.press('Enter');
  await section(patientPage, 'My grants').getByTestId('grant').filter({ hasText: `#${second} ` }).filter({ hasText: 'revoked' }).waitFor({ timeout: 10_000 });
  assert.equal(await client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'grantState', args: [second] }), GrantState.Revoked);

  // ---- The window closes: the decrypted data leaves the provider's screen by itself.
  await record.getByText('Your access window ended; the decrypted data was cleared.').waitFor({ timeout: Math.max(5_000, (windowEnd + 15) * 1000 - Date.now()) });
  assert.ok(Date.now() / 1000 >= windowEnd - 1);
  assert.equal(await providerPage.getByText('HbA1c: 6.1 %').count(), 0);
  assert.equal(await providerPage.getByText('"resourceType": "Observation"').count(), 0);
  // No live grant any more: the patient leaves "My patients", the grant moves to Expired.
  await providerPage.getByTestId('patient').filter({ has: titled(providerPage, patient) }).waitFor({ state: 'detached', timeout: 15_000 });
  const toMe = section(providerPage, 'Grants to me');
  await toMe.getByRole('button', { name: /^Expired \([1-9]/ }).click({ timeout: 15_000 });
  await toMe.locator('li.expired').filter({ hasText: `#${grantId} ` }).waitFor({ timeout: 15_000 });

  // ---- Break-glass: the provider opens emergency access and reads through the escrow release.
  const glass = section(providerPage, 'Break-glass');
  await glass.getByLabel('Patient address').fill(patient);
  await glass.getByLabel('Stated reason (sealed to the patient and auditors; a salted commitment goes on chain)').fill('Unconscious on arrival at the emergency department');
  providerPage.once('dialog', (d) => void d.accept());
  await glass.getByRole('button', { name: 'Open emergency access' }).click();
  await glass.getByText('Emergency access open').waitFor({ timeout: 20_000 });
  const banner = providerPage.getByTestId('emergency-banner');
  await banner.filter({ hasText: 'of emergency access left' }).waitFor({ timeout: 15_000 });
  assert.match(await banner.textContent() ?? '', /Emergency access \(break-glass\)[\s\S]*(9m|10m)/);
  const emergencyRecord = section(providerPage, 'Patient records').getByTestId('record').filter({ hasText: 'Observation ·' });
  await emergencyRecord.getByText('HbA1c: 6.1 %').waitFor({ timeout: 15_000 });
  await emergencyRecord.getByTestId('via-escrow').waitFor();
  await emergencyRecord.getByTestId('integrity').filter({ hasText: 'Integrity verified on chain' }).waitFor();
  // Break-glass is read-only: no form to add or update records.
  assert.equal(await section(providerPage, 'Patient records').getByRole('button', { name: 'Encrypt and save' }).count(), 0);
  await shot(providerPage, 'provider-emergency', section(providerPage, 'Patient records'));
  await assertLabelled(providerPage);
  await phoneShot(providerPage);

  // ---- The patient is alerted and sees the accesses in the audit trail, and verifies one on chain.
  await patientPage.getByRole('alert').filter({ hasText: 'LIVE emergency access' }).waitFor({ timeout: 20_000 });
  const audit = section(patientPage, 'Who accessed what');
  const escrowEntry = audit.getByTestId('audit-entry').filter({ hasText: `${PROVIDER_LABEL} opened your HbA1c (Observation) with emergency (break-glass) access — allowed` }).first();
  await escrowEntry.waitFor({ timeout: 30_000 });
  const readEntry = audit.getByTestId('audit-entry').filter({ hasText: `${PROVIDER_LABEL} read your HbA1c (Observation) for treatment — allowed` }).last();
  await readEntry.waitFor();
  await shot(patientPage, 'patient-audit', audit);
  await assertLabelled(patientPage);
  await phoneShot(patientPage, 'patient-phone', section(patientPage, 'Emergency-access alerts'));
  await phoneShot(patientPage, 'patient-grants-phone', section(patientPage, 'My grants'));
  // The gateway anchors its access log every 60 s; the oldest read is in an anchored period soon.
  const check = readEntry.getByTestId('audit-check');
  for (let attempt = 0; ; attempt++) {
    await check.getByRole('button', { name: /Verify on chain|Check again/ }).click();
    await check.locator('.badge').waitFor({ timeout: 15_000 });
    const text = await check.locator('.badge').textContent() ?? '';
    if (/proven in period/.test(text)) break;
    assert.match(text, /not anchored/, `unexpected verification result: ${text}`);
    assert.ok(attempt < 16, 'the access log was anchored within 80 s');
    await sleep(5000);
  }

  // ---- Admin suspends the provider.
  await adminPage.getByRole('button', { name: 'Check status' }).click();
  await adminPage.getByTestId('provider-status').filter({ hasText: 'accredited' }).waitFor();
  await adminPage.getByRole('button', { name: 'Suspend now' }).click();
  await adminPage.getByTestId('provider-status').filter({ hasText: 'suspended' }).waitFor({ timeout: 20_000 });
  assert.equal(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'providerStatus', args: [provider] }), ProviderStatus.Suspended);
  await providerPage.getByRole('alert').filter({ hasText: 'suspended' }).waitFor({ timeout: 15_000 });
  // A suspended provider leaves the validator set (back to the authority key).
  await section(adminPage, 'Validator set').getByTestId('validator').filter({ hasText: provider }).waitFor({ state: 'detached', timeout: 20_000 });
  await assertLabelled(adminPage);

  // Explorer: the journey's events, decoded — as the admin (the whole chain is shown to auditors
  // and admins only; docs/gateway.md, "Who sees the chain").
  const explorer = adminPage;
  await explorer.goto(`${origin}/#/explorer`);
  await explorer.getByText('ProviderSuspended').first().waitFor({ timeout: 20_000 });
  // Look-ups: the patient's record (patient, versions, authors, hashes) and its integrity check.
  await explorer.getByLabel('Transaction hash or record id').fill(recordId);
  await explorer.getByRole('button', { name: 'Look up' }).click();
  const found = explorer.getByTestId('lookup-record');
  await found.filter({ hasText: patient }).waitFor({ timeout: 15_000 });
  const { integrityHash } = await client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [recordId, 1] });
  await found.getByText(integrityHash).waitFor();
  const integrity = section(explorer, 'Integrity check');
  await integrity.getByLabel('Record id').fill(recordId);
  await integrity.getByLabel('Integrity hash').fill(integrityHash);
  await integrity.getByRole('button', { name: 'Verify on chain' }).click();
  await integrity.getByText('Matches the chain').waitFor({ timeout: 15_000 });
  await shot(explorer, 'explorer', section(explorer, 'Look up a transaction or record'));
  await assertLabelled(explorer);
  await shot(providerPage, 'provider');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
  for (const page of [patientPage, providerPage, adminPage]) await page.context().close();
});
