/**
 * The command line end to end as a user runs it, in child processes on a temp data directory:
 * init, start, keys for a patient and a provider, accreditation, registration, a FHIR record
 * added (encrypted locally), a 20-second grant under which the provider decrypts it, the same read
 * refused (exit 3) once the window has closed, a revoked grant refused too, export, verify,
 * erase — then SIGTERM, start again, and everything is still in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ok, PASSPHRASE, startMedchain, stop } from './cliHarness.ts';

const observation = {
  resourceType: 'Observation', status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }] },
  valueQuantity: { value: 6.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
};

interface Grants { now: number; active: Array<{ grantId: number }>; upcoming: unknown[]; expired: Array<{ grantId: number }>; revoked: Array<{ grantId: number }> }

test('CLI journey: keys, accreditation, record, timed grant, refusal after expiry, revoke, export, verify, erase, restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-cli-'));
  const at = (...args: string[]) => [...args, '--data-dir', dataDir];
  let running = await startMedchain(at('--port', '0', '--rpc-port', '0'));
  try {
    assert.doesNotMatch(running.stderr(), new RegExp(PASSPHRASE), 'the passphrase is never printed');
    const g = (...args: string[]) => [...at(...args), '--gateway', running.url, '--json'];

    // Keys and identities.
    const [patient, provider] = await Promise.all([ok<{ address: string; file: string }>(g('keys', 'new', 'patient')), ok<{ address: string }>(g('keys', 'new', 'provider'))]);
    assert.match(patient.address, /^0x[0-9a-fA-F]{40}$/);
    const keyFile = JSON.parse(readFileSync(patient.file, 'utf8'));
    assert.equal(keyFile.account.crypto.kdf, 'scrypt');
    assert.equal(keyFile.encryption.medchain.kind, 'encryption', 'the web UI\'s key backup format');
    assert.doesNotMatch(readFileSync(patient.file, 'utf8'), new RegExp(PASSPHRASE));
    await Promise.all([ok(g('patient', 'register', '--key', 'patient')), ok(g('provider', 'apply', '--key', 'provider', '--kind', 'doctor'))]);
    const early = await cli(g('grant', 'create', '--key', 'patient', '--to', provider.address, '--for', '1h'));
    assert.equal(early.code, 3, 'a grant to a provider not yet accredited is refused by the contract');
    assert.match(early.stderr, /InvalidGrantee/);
    await ok(g('admin', 'accredit', provider.address, '--key', join(dataDir, 'keys', 'admin.json')));
    const status = await ok<{ health: string; blockNumber: number; me: { role: string; providerStatus: string } }>(g('status', '--key', 'provider'));
    assert.equal(status.health, 'ok');
    assert.ok(status.blockNumber > 0);
    assert.deepEqual([status.me.role, status.me.providerStatus], ['provider', 'active']);

    // A FHIR record, encrypted here; the provider cannot read it before any grant.
    const fhirFile = join(dataDir, 'hba1c.json');
    writeFileSync(fhirFile, JSON.stringify(observation));
    const record = await ok<{ recordId: string; version: number }>(g('record', 'add', fhirFile, '--key', 'patient'));
    assert.equal(record.version, 1);
    const before = await cli(g('record', 'get', record.recordId, '--key', 'provider'));
    assert.equal(before.code, 3, before.stderr);

    // A 20-second grant: the provider decrypts the record inside the window.
    const grant = await ok<{ grantId: number; validUntil: number; sharedVersions: number }>(g('grant', 'create', '--key', 'patient', '--to', provider.address, '--for', '20s'));
    assert.equal(grant.sharedVersions, 1);
    const [read, live] = await Promise.all([
      ok<{ resource: typeof observation; integrityVerified: boolean; access: { basis: string } }>(g('record', 'get', record.recordId, '--key', 'provider')),
      ok<Grants>(g('grant', 'list', '--key', 'patient')),
    ]);
    assert.deepEqual(read.resource, observation);
    assert.equal(read.integrityVerified, true);
    assert.equal(read.access.basis, 'grant');
    assert.deepEqual(live.active.map((x) => x.grantId), [grant.grantId]);

    // While the window runs: an attachment, verification, and the patient's export.
    const attachment = join(dataDir, 'referral.txt');
    writeFileSync(attachment, 'Referral letter: please see this patient in clinic.\n');
    const [second, verified] = await Promise.all([
      ok<{ recordId: string }>(g('record', 'add', attachment, '--key', 'patient')),
      ok<{ valid: boolean }>(g('record', 'verify', record.recordId, '--key', 'patient')),
    ]);
    assert.equal(verified.valid, true);
    const exportFile = join(dataDir, 'export.json');
    await ok(at('export', '--key', 'patient', '--gateway', running.url, '--out', exportFile));
    const bundle = JSON.parse(readFileSync(exportFile, 'utf8'));
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assert.deepEqual(bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).sort(), ['Binary', 'Observation']);
    assert.deepEqual(bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Observation').resource, observation);

    // The window closes by itself: the same read is refused (exit code 3), and the grant is expired.
    const wait = grant.validUntil * 1000 - Date.now() + 1500;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const after = await cli(g('record', 'get', record.recordId, '--key', 'provider'));
    assert.equal(after.code, 3, `${after.code} ${after.stderr}`);
    assert.match(after.stderr, /^medchain: the gateway refused: 403 .*expired/);
    assert.equal(after.stderr.trim().split('\n').length, 1);

    // A new grant, revoked: refused again. Meanwhile the patient erases the attachment: its content
    // is gone, the tombstone stays.
    const revokeFlow = (async () => {
      const grant2 = await ok<{ grantId: number }>(g('grant', 'create', '--key', 'patient', '--to', provider.address, '--for', '1h', '--scope', 'Observation'));
      await ok(g('record', 'get', record.recordId, '--key', 'provider'));
      await ok(g('grant', 'revoke', String(grant2.grantId), '--key', 'patient'));
      const revoked = await cli(g('record', 'get', record.recordId, '--key', 'provider'));
      assert.equal(revoked.code, 3, revoked.stderr);
      assert.match(revoked.stderr, /revoked/);
      return grant2;
    })();
    const eraseFlow = (async () => {
      await ok(g('record', 'erase', second.recordId, '--key', 'patient', '--yes'));
      const erased = await cli(g('record', 'get', second.recordId, '--key', 'patient'));
      assert.equal(erased.code, 1);
      assert.match(erased.stderr, /erased/);
    })();
    const [grant2] = await Promise.all([revokeFlow, eraseFlow]);
    const listed = await ok<Grants>(g('grant', 'list', '--key', 'patient'));
    assert.deepEqual(listed.expired.map((x) => x.grantId), [grant.grantId]);
    assert.deepEqual(listed.revoked.map((x) => x.grantId), [grant2.grantId]);

    // Restart: SIGTERM, start again; records, grants and the erasure are all still there.
    assert.equal(await stop(running.child), 0);
    running = await startMedchain(at('--port', '0', '--rpc-port', '0'));
    const [again, history, afterRestart, refused, audit] = await Promise.all([
      ok<{ resource: typeof observation }>(g('record', 'get', record.recordId, '--key', 'patient')),
      ok<{ versions: unknown[]; erasedAt: number | null }>(g('record', 'history', second.recordId, '--key', 'patient')),
      ok<Grants>(g('grant', 'list', '--key', 'patient')),
      cli(g('record', 'get', record.recordId, '--key', 'provider')),
      ok<Array<{ actor: string; outcome: string }>>(g('audit', 'list', '--key', 'patient')),
    ]);
    assert.deepEqual(again.resource, observation);
    assert.ok(history.erasedAt && history.versions.length === 1);
    assert.deepEqual([afterRestart.expired.map((x) => x.grantId), afterRestart.revoked.map((x) => x.grantId)], [[grant.grantId], [grant2.grantId]]);
    assert.equal(refused.code, 3);
    assert.ok(audit.some((e) => e.actor.toLowerCase() === provider.address.toLowerCase() && e.outcome === 'denied'), 'the refused reads are in the audit trail');
  } finally {
    await stop(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
