/**
 * The web UI at the demo's own scale: `medchain start --demo` (the real command, 200 synthetic
 * patients by default, seeded once for this file) and real Chromium. Each demo provider's screen
 * lists its patients and grants with names and no error (the patients come from the gateway's
 * paginated index, never from hundreds of chain reads); a patient grants access by searching a
 * provider's name; records render as text (value and unit) and an HbA1c chart appears; the patient
 * reads the audit trail in plain language, as cards on a phone. Screenshots for the README.
 *
 * MEDCHAIN_DEMO_PATIENTS changes the hospital's size; MEDCHAIN_DEMO_DATA_DIR reuses an already
 * seeded data directory (its short "expiring soon" grants may have ended by then).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { PASSPHRASE, startMedchain, stop, type Started } from '../cli/cliHarness.ts';
import type { DemoSummary } from '../../src/cli/demo/summary.ts';
import { DEMO_PROFILES } from '../../src/cli/demo/providerProfiles.ts';
import { providerLabel } from '../../src/sdk/providerProfile.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-artifacts', 'demo');
const DOC_SHOTS = join(ROOT, 'docs', 'screenshots');
const PATIENTS = Number(process.env.MEDCHAIN_DEMO_PATIENTS ?? 200);
const LABEL = Object.fromEntries(Object.entries(DEMO_PROFILES).map(([k, v]) => [k, providerLabel(v)])) as Record<keyof typeof DEMO_PROFILES, string>;

let browser: Browser;
let medchain: Started | undefined;
let dataDir: string;
let ownDataDir = false;
let demo: DemoSummary;
const pageErrors: string[] = [];
const pages: Page[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error' });
  mkdirSync(SHOTS, { recursive: true });
  dataDir = process.env.MEDCHAIN_DEMO_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'medchain-ui-demo-'));
  ownDataDir = !process.env.MEDCHAIN_DEMO_DATA_DIR;
  medchain = await startMedchain(['--data-dir', dataDir, '--port', '0', '--rpc-port', '0', '--demo', '--demo-patients', String(PATIENTS)]);
  demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoSummary;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, { timeout: 30 * 60_000 });

after(async () => {
  // What each page showed at the end (after a failure: where it stopped).
  for (const [i, page] of pages.entries()) if (!page.isClosed()) await page.screenshot({ path: join(SHOTS, `last-${i}.png`), fullPage: true }).catch(() => undefined);
  await browser?.close();
  if (medchain) await stop(medchain.child);
  if (ownDataDir && dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const login = (who: string) => demo.logins.find((l) => l.who.startsWith(who))!;
const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });

/** A browser context signed in with a demo login's key backup, on `screen`. */
async function signIn(who: string, screen: string, width = 1100, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  pages.push(page);
  page.on('pageerror', (error) => { pageErrors.push(`${who}: ${error.message}`); });
  await page.goto(`${medchain!.url}/#/${screen}`);
  await page.getByLabel('Backup file (medchain-keys.json)').setInputFiles(login(who).file);
  await page.getByLabel('Passphrase', { exact: true }).fill(login(who).passphrase);
  await page.getByRole('button', { name: 'Import and unlock' }).click();
  await page.getByTestId('gateway-status').filter({ hasText: 'signed in' }).waitFor({ timeout: 60_000 });
  return page;
}

async function shot(page: Page, name: string, focus?: Locator) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  if (process.env.MEDCHAIN_UPDATE_SCREENSHOTS === '1') {
    if (focus) await focus.evaluate((el) => { el.scrollIntoView({ block: 'start' }); window.scrollBy(0, -64); });
    await page.screenshot({ path: join(DOC_SHOTS, `web-${name}.png`) });
  }
}

/** No error shown anywhere in a section. */
async function noErrors(where: Locator) {
  assert.deepEqual(await where.getByRole('alert').allTextContents(), []);
}

it(`each demo provider lists its patients and grants with names (${PATIENTS} patients)`, { timeout: 10 * 60_000 }, async () => {
  // ---- The doctor: every patient has given it a live grant.
  const doctor = await signIn('doctor', 'provider');
  const patients = section(doctor, 'My patients');
  await patients.getByTestId('patient-count').filter({ hasText: `${PATIENTS} patients` }).waitFor({ timeout: 60_000 });
  // Names come from each patient's own Patient resource, decrypted in the browser: every row of the page.
  const rows = patients.getByTestId('patient');
  assert.equal(await rows.count(), Math.min(20, PATIENTS));
  await patients.getByTestId('patient-name').nth(Math.min(20, PATIENTS) - 1).waitFor({ timeout: 120_000 });
  for (const name of (await patients.getByTestId('patient-name').allTextContents()).slice(0, 20)) assert.match(name, /^[A-Z][a-z'-]+ [A-Z][a-z'-]+/, name);
  await noErrors(patients);
  if (PATIENTS > 20) {
    await patients.getByRole('button', { name: 'Next' }).click();
    await patients.getByText(`21–${Math.min(40, PATIENTS)} of ${PATIENTS}`).waitFor();
    await patients.getByTestId('patient-name').first().waitFor({ timeout: 60_000 });
    await patients.getByRole('button', { name: 'Previous' }).click();
  }
  const grants = section(doctor, 'Grants to me');
  await grants.getByRole('button', { name: `Active (${PATIENTS})` }).waitFor({ timeout: 30_000 });
  await grants.getByTestId('grant').first().getByTestId('patient-name').waitFor({ timeout: 60_000 });
  await noErrors(grants);
  await shot(doctor, 'demo-provider-patients', patients);

  // ---- One patient's records: rendered for people, with the HbA1c series as a chart.
  const patientOne = login('patient-1');
  const row = rows.filter({ has: doctor.locator(`[title="${patientOne.address}"]`) });
  if (await row.count() > 0) await row.first().getByRole('button', { name: 'Open records' }).click();
  else { // not on the first page: open by address
    await patients.getByLabel("Open a patient's records by address").fill(patientOne.address);
    await patients.getByRole('button', { name: 'Open', exact: true }).click();
  }
  const records = section(doctor, 'Patient records');
  // The HbA1c series (LOINC 4548-4), titled by the first value's code text.
  await records.getByTestId('observation-chart').filter({ hasText: /HbA1c|Hemoglobin A1c/ }).first().waitFor({ timeout: 120_000 });
  const value = records.getByTestId('observation-value').first();
  await value.waitFor();
  assert.match(await value.textContent() ?? '', /^\d+(\.\d+)? \S+/, 'a value and its unit');
  const hba1c = records.getByTestId('resource-view').filter({ hasText: 'HbA1c' }).first();
  assert.match(await hba1c.textContent() ?? '', /Reference range4–5\.6 %/);
  assert.equal(await records.locator('details.raw[open]').count(), 0, 'raw JSON is one click away, not the default');
  await records.getByTestId('resource-view').filter({ hasText: /Born/ }).waitFor();
  await noErrors(records);
  await shot(doctor, 'demo-provider-records', records.getByTestId('observation-chart').first());

  // ---- The lab: live grants while the seeded "expiring soon" windows last, expired ones after.
  const lab = await signIn('lab', 'provider');
  const labGrants = section(lab, 'Grants to me');
  await labGrants.getByRole('button', { name: /^Expired \(\d+\)$/ }).waitFor({ timeout: 30_000 });
  // Whether those 10-minute windows are still open depends on how long seeding took: ask the screen.
  // A live grant of all records lets the lab read the patient's name; a narrower one (Conditions
  // only) does not, and the screen says so instead of failing.
  const labPatients = section(lab, 'My patients');
  await labPatients.getByTestId('patient-count').or(labPatients.getByText('No live grants')).first().waitFor({ timeout: 60_000 });
  const allRecords = labGrants.getByTestId('grant').filter({ hasText: 'all records' });
  if (await allRecords.count() > 0) await allRecords.first().getByTestId('patient-name').waitFor({ timeout: 60_000 });
  for (const row of await labPatients.getByTestId('patient').all()) {
    await row.getByTestId('patient-name').or(row.getByText('(name not shared with you)')).first().waitFor({ timeout: 60_000 });
  }
  await labGrants.getByRole('button', { name: /^Expired/ }).click();
  await labGrants.getByTestId('grant').first().waitFor();
  // Ended grants do not let the lab read the name: it says so instead of failing.
  await labGrants.getByText('(name not shared with you)').first().waitFor();
  await noErrors(section(lab, 'My patients'));
  await noErrors(labGrants);

  // ---- The hospital: no live grant, one break-glass patient, upcoming and revoked grants.
  const hospital = await signIn('hospital', 'provider');
  const hospitalPatients = section(hospital, 'My patients');
  // A fresh demo's break-glass is live for 4 hours; a reused data directory's may have been closed (below).
  if (ownDataDir) {
    await hospitalPatients.getByTestId('patient-name').first().waitFor({ timeout: 60_000 });
    await hospitalPatients.getByText('break-glass').first().waitFor();
  } else await hospitalPatients.getByTestId('patient-count').or(hospitalPatients.getByText('No live grants')).first().waitFor({ timeout: 60_000 });
  const hospitalGrants = section(hospital, 'Grants to me');
  await hospitalGrants.getByRole('button', { name: /^Upcoming \([1-9]\d*\)$/ }).click();
  await hospitalGrants.getByTestId('grant').first().waitFor();
  await noErrors(hospitalPatients);
  await noErrors(hospitalGrants);
  for (const page of [doctor, lab, hospital]) { pages.splice(pages.indexOf(page), 1); await page.context().close(); }
  assert.deepEqual(pageErrors, []);
});

it('a patient grants access by searching a provider by name, sees it on the time line, and reads the audit trail in plain language', { timeout: 6 * 60_000 }, async () => {
  const patient = await signIn('patient-1', 'patient');
  // The doctor read this patient's records in the test above; the hospital opened break-glass.
  const alerts = section(patient, 'Emergency-access alerts');
  await alerts.getByTestId('provider-name').filter({ hasText: LABEL.hospital }).first().waitFor({ timeout: 30_000 });

  const grant = section(patient, 'Grant a provider access');
  await grant.getByLabel('Find a provider by name').fill('northside');
  const result = grant.getByTestId('provider-result').filter({ hasText: LABEL.lab });
  await result.waitFor({ timeout: 20_000 });
  await result.getByRole('radio').check();
  await grant.getByLabel('Scope').selectOption('Condition');
  await grant.getByLabel('Window length (hours)').fill('2');
  const final = grant.getByTestId('final-terms');
  await final.filter({ hasText: LABEL.lab }).filter({ hasText: 'Condition' }).waitFor();
  assert.match(await final.textContent() ?? '', /read of Condition.*for treatment.*until .+ exactly/);
  await grant.getByRole('button', { name: 'Grant access' }).click();
  await grant.getByText('Granted').waitFor({ timeout: 60_000 });
  const mine = section(patient, 'My grants');
  await mine.getByTestId('grant').filter({ hasText: `to ${LABEL.lab}` }).filter({ hasText: 'Condition' }).filter({ hasText: 'left' }).waitFor({ timeout: 30_000 });
  await mine.getByTestId('grant-windows').waitFor();
  await mine.getByTestId('grant').filter({ hasText: `to ${LABEL.doctor}` }).first().waitFor();
  await shot(patient, 'demo-patient-consent', mine);

  // Plain language: who (by name) did what to which record, and why.
  const audit = section(patient, 'Who accessed what');
  // Opening the records lists them, so the audit can name each ("your HbA1c (Observation)").
  await section(patient, 'My records').getByTestId('observation-chart').first().waitFor({ timeout: 120_000 });
  await audit.getByTestId('audit-entry').filter({ hasText: `${LABEL.doctor} read your HbA1c (Observation) for treatment — allowed` }).first().waitFor({ timeout: 60_000 });
  await audit.getByTestId('audit-entry').filter({ hasText: /^You read your/ }).first().waitFor({ timeout: 60_000 });
  const text = await audit.textContent() ?? '';
  assert.doesNotMatch(text, /read-key|escrow-release|unknown/);
  // A phone: the trail as cards, nothing wider than the screen, no wallet talk on a free-gas chain.
  await patient.setViewportSize({ width: 390, height: 844 });
  await patient.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth + 1, undefined, { timeout: 5_000 });
  assert.doesNotMatch(await patient.textContent('body') ?? '', /ETH/);
  await shot(patient, 'demo-patient-audit-phone', audit);
  await patient.setViewportSize({ width: 1100, height: 900 });

  // The patient closes the hospital's break-glass: the alert shows when it really ended, not the scheduled end.
  const live = alerts.getByRole('alert').filter({ hasText: 'LIVE emergency access' });
  if (await live.count() > 0) {
    await live.first().getByRole('button', { name: 'Close it now' }).click();
    await alerts.getByTestId('emergency-end').filter({ hasText: /^closed .+ by you$/ }).first().waitFor({ timeout: 60_000 });
    const closedAt = Date.parse((await alerts.getByTestId('emergency-end').first().textContent())!.replace(/^closed | by you$/g, ''));
    if (!Number.isNaN(closedAt)) assert.ok(Math.abs(closedAt - Date.now()) < 5 * 60_000, 'the real end, minutes ago at most');
  }
  await patient.context().close();
  pages.splice(pages.indexOf(patient), 1);

  // The explorer names the producer (the Clique sealer, not 0x000…) and a malformed look-up clears the old result.
  // The whole chain is shown to auditors and admins only (docs/gateway.md, "Who sees the chain"):
  // the admin imports keys/admin.json of the data directory, as the journey test does.
  const explorer = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  pages.push(explorer);
  await explorer.goto(`${medchain!.url}/#/admin`);
  await explorer.getByLabel('Backup file (medchain-keys.json)').setInputFiles(join(dataDir, 'keys', 'admin.json'));
  await explorer.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await explorer.getByRole('button', { name: 'Import and unlock' }).click();
  await explorer.getByTestId('gateway-status').filter({ hasText: 'signed in' }).waitFor({ timeout: 60_000 });
  await explorer.goto(`${medchain!.url}/#/explorer`);
  const producer = explorer.getByTestId('producer').first();
  await producer.locator('code, span.who').first().waitFor({ timeout: 30_000 });
  assert.doesNotMatch(await producer.textContent() ?? '', /^0x000000/);
  const txHash = await explorer.getByTestId('tx-row').first().locator('code').first().getAttribute('title');
  await explorer.getByLabel('Transaction hash or record id').fill(txHash!);
  await explorer.getByRole('button', { name: 'Look up' }).click();
  await explorer.getByTestId('lookup-tx').waitFor({ timeout: 30_000 });
  await explorer.getByLabel('Transaction hash or record id').fill('0x1234');
  await explorer.getByRole('button', { name: 'Look up' }).click();
  await explorer.getByRole('alert').filter({ hasText: '32-byte' }).waitFor();
  assert.equal(await explorer.getByTestId('lookup-tx').count(), 0);
  assert.deepEqual(pageErrors, []);
});
