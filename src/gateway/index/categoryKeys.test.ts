// The gateway's category keys on a real SQLite file and a real chain (EDR): two gateway processes
// sharing one database that both mint a patient's key at once end up with one key; the key
// survives reopening the database; legacy keccak256 categories are still recognised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from 'viem';
import { medchainFixture } from '../../../contracts/test/fixture.ts';
import { generateEncryptionKeyPair, unwrapCategoryKey, blindCategory } from '../../crypto/index.ts';
import { recordCategory } from '../../sdk/contracts.ts';
import { refusalOf } from '../http/errors.ts';
import { migrate, openSqlite } from '../db/index.ts';
import { categoryKeys } from './categoryKeys.ts';
import { envelopeMigrations, envelopeStore } from './envelopes.ts';
import { systemClock } from '../clock.ts';

test('category keys: one key per patient across racing gateway processes, durable, legacy categories recognised', async () => {
  const f = await medchainFixture();
  const dir = mkdtempSync(join(tmpdir(), 'medchain-category-keys-'));
  try {
    const patientKeys = generateEncryptionKeyPair();
    await f.mined(f.as('patient').identity.write.rotateEncryptionKey([bytesToHex(patientKeys.publicKey)]));
    const file = join(dir, 'gateway.sqlite');
    const open = async (operatorKey = f.keys.admin) => {
      const db = await openSqlite(file);
      await migrate(db, envelopeMigrations);
      return { db, keys: categoryKeys({ client: f.publicClient, addresses: f.addresses, envelopes: envelopeStore(db, systemClock), operatorKey }) };
    };
    const a = await open();
    const b = await open();
    const P = f.addr.patient;
    const [fromA, fromB] = await Promise.all([a.keys.categoryFor(P, 'Observation'), b.keys.categoryFor(P, 'Observation')]);
    assert.equal(fromA, fromB, 'both processes use the key that reached the database first');
    assert.notEqual(fromA, recordCategory('Observation'));
    // The patient's own envelope opens to the same key.
    const key = await unwrapCategoryKey((await a.keys.patientEnvelope(P))!, patientKeys.privateKey, P);
    assert.equal(blindCategory(key, 'Observation'), fromA);
    assert.equal(await a.keys.typeOf(P, fromA), 'Observation');
    assert.equal(await a.keys.typeOf(P, recordCategory('Condition')), 'Condition');
    assert.equal(await a.keys.isCategoryOf(P, recordCategory('Observation'), 'Observation'), true);
    assert.equal(await a.keys.typeOf(P, `0x${'ab'.repeat(32)}`), undefined);
    // Another patient: another key. After reopening: the same key.
    assert.notEqual(await a.keys.categoryFor(f.addr.patient2, 'Observation'), fromA);
    await a.db.close(); await b.db.close();
    const c = await open();
    assert.equal(await c.keys.categoryFor(P, 'Observation'), fromA);
    await c.db.close();
    // A gateway started with another operator key has no copy: a clear 409, never a second key for the patient.
    const d = await open(f.keys.lab);
    await assert.rejects(d.keys.categoryFor(P, 'Observation'), (e: Error) => refusalOf(e)?.status === 409 && /former operator key/.test(e.message));
    assert.equal(await d.keys.typeOf(P, fromA), undefined);
    await d.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
