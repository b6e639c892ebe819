// Issue 13, finding 4: the hospital operator must not open escrowed data keys. The attacker holds the
// gateway's operator key (what keys/operator.json and its passphrase give) and the gateway's SQL and
// blob files, and tries what worked before (custodian keys derived from the operating key by HKDF,
// the key itself as an X25519 key) on the shares of random records: nothing opens. Over HTTP the
// operator's release requests are refused; a provider without a live break-glass is refused by the
// custodian itself (even when called past the route); nothing changes; with a live break-glass the
// release works and every release is in the access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encryptionPublicKey, generateEncryptionKeyPair, recoverEscrowedDataKey, releaseEscrowShare } from '../../src/crypto/index.ts';
import { BreakGlassNotLive, escrowCustodian, escrowStore } from '../../src/gateway/escrow/custodian.ts';
import { legacyCustodianKeys, type CustodianKey } from '../../src/keys/keyRing.ts';
import { Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { bindingOf, openEscrowedRecordVersion, openRecordVersion } from '../../src/sdk/records.ts';
import { FsBlobStore } from '../../src/storage/FsBlobStore.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { opaquePurpose } from '../purposes.ts';

const RECORDS = 5;

test('the operator key and the gateway files open no escrowed data key; release needs a live break-glass the custodian reads itself', async () => {
  const h = await gatewayHarness({ operator: 'relayer' });
  const { f } = h;
  try {
    const patient = await h.client('patient');
    const policy = await patient.escrowConfig();
    assert.deepEqual([policy.threshold, policy.custodians.length], [2, 2]);
    const operatorKey = f.keys.relayer;
    assert.ok(policy.custodians.every((c) => !c.id.toLowerCase().includes(privateKeyToAccount(operatorKey).address.slice(2).toLowerCase())), 'custodian ids are not the operator');

    const records: Array<{ recordId: Hex; resource: Record<string, unknown>; integrityHash: Hex }> = [];
    for (let i = 0; i < RECORDS; i++) {
      const resource = { resourceType: 'Observation', status: 'final', code: { text: `glucose ${i}` }, valueQuantity: { value: 90 + i, unit: 'mg/dL' } };
      const prepared = await h.addRecord('patient', 'patient', resource, [], { escrow: true });
      records.push({ recordId: prepared.recordId, resource, integrityHash: prepared.integrityHash });
    }

    // ---- Offline: the operator key plus the gateway's SQLite file and blob directory.
    const sql = new Database(join(h.dataDir, 'gateway.sqlite'), { readonly: true, fileMustExist: true });
    const escrowRows = () => JSON.stringify(sql.prepare('SELECT record_id, version, custodian, share_index, envelope FROM escrow_shares ORDER BY record_id, share_index').all());
    const before = escrowRows();
    const blobs = new FsBlobStore(join(h.dataDir, 'blobs'));
    const operatorBytes = hexToBytes(operatorKey);
    const candidates: CustodianKey[] = [
      ...legacyCustodianKeys(operatorKey, 4), // the derivation `medchain start` used before
      { id: 'raw', privateKey: operatorBytes, publicKey: encryptionPublicKey(operatorBytes) },
      ...[0, 1].map((i) => {
        const privateKey = hkdf(sha256, operatorBytes, new Uint8Array(), new TextEncoder().encode(`custodian ${i}`), 32);
        return { id: `hkdf-${i}`, privateKey, publicKey: encryptionPublicKey(privateKey) };
      }),
    ];
    const attacker = generateEncryptionKeyPair();
    // Tries every candidate key on every share, as an attacker holding those keys would; returns the data keys it recovered.
    const tryOpen = async (keys: CustodianKey[]) => {
      let opened = 0;
      for (const r of records) {
        const binding = bindingOf(r.recordId, 1, f.addr.patient);
        const bundle = sql.prepare('SELECT threshold, commitment FROM escrow_bundles WHERE record_id = ? AND version = 1').get(r.recordId) as { threshold: number; commitment: string };
        const shares = sql.prepare('SELECT share_index, envelope FROM escrow_shares WHERE record_id = ? AND version = 1').all(r.recordId) as Array<{ share_index: number; envelope: string }>;
        assert.equal(shares.length, 2, 'the shares are in the SQL file');
        const released = [];
        for (const s of shares) {
          for (const k of keys) {
            try {
              released.push(await releaseEscrowShare({ index: s.share_index, envelope: new Uint8Array(Buffer.from(s.envelope, 'base64')) }, k.privateKey, binding, attacker.publicKey));
              break;
            } catch { /* this key does not open this share */ }
          }
        }
        if (released.length < bundle.threshold) continue;
        await recoverEscrowedDataKey({ threshold: bundle.threshold, commitment: new Uint8Array(Buffer.from(bundle.commitment, 'base64')) }, released, attacker.privateKey, binding);
        opened++;
      }
      return opened;
    };
    assert.equal(await tryOpen(candidates), 0, 'no escrowed data key opens with keys derived from the operator key');
    // Control: the same procedure with the custodians' own keys opens every record, so the attack above is a real one.
    assert.equal(await tryOpen(h.custodianKeys), RECORDS);
    // The ciphertext files are there, but without a data key they are only ciphertext.
    const record = await patient.getRecord(records[0]!.recordId);
    assert.ok(await blobs.has(record.versions[0]!.cid!));

    // ---- Online: the operator signs in and asks for releases.
    const operator = new GatewayClient(h.gateway.url);
    const signedIn = await operator.signIn(privateKeyToAccount(operatorKey), { chainId: 31337 }).then(() => true, () => false);
    for (const r of records) {
      const asked = await httpCall(h.gateway.url, 'POST', `/api/records/${r.recordId}/versions/1/escrow/release`, { token: signedIn ? operator.sessionToken! : undefined, body: {} });
      assert.ok([401, 403].includes(asked.status), `operator release refused (got ${asked.status})`);
      assert.equal(asked.json?.shares, undefined);
    }

    // ---- No live break-glass: refused by the route, and by the custodian itself when called past the route.
    const now = await f.latestTimestamp();
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 3600n,
    }]));
    const target = records[0]!;
    const releaseStatus = async (actor: 'hospital' | 'doctor') =>
      (await httpCall(h.gateway.url, 'POST', `/api/records/${target.recordId}/versions/1/escrow/release`, { token: (await h.client(actor)).sessionToken!, body: {} })).status;
    assert.equal(await releaseStatus('hospital'), 403);
    assert.equal(await releaseStatus('doctor'), 409);
    // A route that wrongly decided "break-glass" still gets nothing: the custodian reads the chain.
    const custodian = escrowCustodian(h.custodianKeys, { threshold: 2, chain: { client: f.publicClient, addresses: f.addresses, audit: h.gateway.accessLog } });
    const deposited = (await escrowStore(h.gateway.db).get(target.recordId, 1))!;
    for (const requester of [f.addr.doctor, f.addr.hospital, privateKeyToAccount(operatorKey).address] as Address[]) {
      await assert.rejects(custodian.release(deposited, bindingOf(target.recordId, 1, f.addr.patient), requester), (e: Error) => e instanceof BreakGlassNotLive);
    }
    assert.equal(escrowRows(), before, 'no share changed');
    const own = await patient.getEnvelope(target.recordId, 1);
    const mine = await openRecordVersion({ ciphertext: await patient.getCiphertext(target.recordId, 1), envelope: own.envelope, privateKey: h.encryption.patient.privateKey, recordId: target.recordId, version: 1, patient: f.addr.patient });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(mine.plaintext)), target.resource, 'the patient still reads');

    // ---- Live break-glass: the hospital's release works.
    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(7))]));
    const hospital = await h.client('hospital');
    const released = await hospital.releaseEscrow(target.recordId, 1);
    assert.equal(released.shares.length, 2);
    const opened = await openEscrowedRecordVersion({
      ciphertext: await hospital.getCiphertext(target.recordId, 1), escrow: released, released: released.shares, privateKey: h.encryption.hospital.privateKey,
      recordId: target.recordId, version: 1, patient: f.addr.patient, integrityHash: target.integrityHash,
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), target.resource);
    // Called directly, the custodian now releases to the hospital too — and to nobody else.
    assert.equal((await custodian.release(deposited, bindingOf(target.recordId, 1, f.addr.patient), f.addr.hospital)).length, 2);
    await assert.rejects(custodian.release(deposited, bindingOf(target.recordId, 1, f.addr.patient), f.addr.doctor), BreakGlassNotLive);

    // Every custodian decision is in the access log, allowed and denied.
    const log = await patient.audit({ patient: f.addr.patient, limit: 1000 });
    const custodianEntries = log.entries.filter((e) => e.action === 'escrow-release' && /^custodian:/.test(e.reason));
    assert.equal(custodianEntries.filter((e) => e.outcome === 'allowed' && e.actor.toLowerCase() === f.addr.hospital.toLowerCase()).length, 2);
    assert.ok(custodianEntries.filter((e) => e.outcome === 'denied').length >= 4);

    // The patient closes the break-glass: the custodian refuses again.
    await f.mined(f.as('patient').consent.write.closeEmergencyAccess([f.addr.patient, f.addr.hospital]));
    assert.equal(await releaseStatus('hospital'), 403);
    await assert.rejects(custodian.release(deposited, bindingOf(target.recordId, 1, f.addr.patient), f.addr.hospital), BreakGlassNotLive);
    assert.equal(escrowRows(), before, 'releases change no share');
    sql.close();
    await blobs.close();
  } finally {
    await h.close();
  }
});
