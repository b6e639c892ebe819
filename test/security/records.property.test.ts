/**
 * Issue 13, "must hold": random interleavings of add / update / grant / revoke / share / erase by
 * several accounts — plus the attacks of findings 1 and 2 mixed in — through the real gateway over
 * HTTP and the real contracts on EDR. After every step:
 *   - every live record version's ciphertext is on disk and decrypts for the patient (over HTTP,
 *     integrity checked against the chain);
 *   - nothing erased is readable or on disk (after the shredder ran);
 *   - no envelope of one recipient was changed by another party, and escrow shares never change.
 * One gateway serves all runs (each run tracks its own records; grants are tracked across runs).
 * MEDCHAIN_PROPERTY_RUNS sets the number of runs (default 100: about a minute on a loaded 2-core machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEventLogs, type Address, type Hex } from 'viem';
import { unwrapDataKey, wrapDataKey } from '../../src/crypto/index.ts';
import { ConsentAbi, Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { bindingOf, prepareRecordVersion } from '../../src/sdk/records.ts';
import type { Actor } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { blobOnDisk, envelopeRows, escrowRows, readAndDecrypt, revertName } from './recordsAttack.ts';
import { opaquePurpose } from '../purposes.ts';

type PatientActor = 'patient' | 'patient2';
type ProviderActor = 'doctor' | 'lab';
type Author = 'self' | ProviderActor;

type Action =
  | { kind: 'add'; patient: PatientActor; author: Author; text: string }
  | { kind: 'update'; pick: number; author: Author; text: string }
  | { kind: 'grant'; patient: PatientActor; provider: ProviderActor }
  | { kind: 'revoke'; patient: PatientActor; provider: ProviderActor }
  | { kind: 'share'; pick: number; provider: ProviderActor }
  | { kind: 'erase'; pick: number; call: boolean }
  | { kind: 'attack-envelope'; pick: number; attacker: ProviderActor; escrow: boolean }
  | { kind: 'attack-claim-cid'; pick: number };

interface ModelVersion { author: Actor; cid: string; contentId: Hex; integrityHash: Hex; resource: unknown }
interface ModelRecord { recordId: Hex; patient: PatientActor; versions: ModelVersion[]; erased: boolean }

const patientArb = fc.constantFrom<PatientActor>('patient', 'patient2');
const providerArb = fc.constantFrom<ProviderActor>('doctor', 'lab');
const authorArb = fc.constantFrom<Author>('self', 'self', 'doctor', 'lab');
const textArb = fc.string({ minLength: 1, maxLength: 24 });
const pickArb = fc.nat({ max: 50 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), patient: patientArb, author: authorArb, text: textArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), pick: pickArb, author: authorArb, text: textArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('grant' as const), patient: patientArb, provider: providerArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), patient: patientArb, provider: providerArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('share' as const), pick: pickArb, provider: providerArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('erase' as const), pick: pickArb, call: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('attack-envelope' as const), pick: pickArb, attacker: providerArb, escrow: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('attack-claim-cid' as const), pick: pickArb }) },
);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

test('property: records stay readable, erased ones are gone, envelopes change only by their owners', { timeout: 600_000 }, async () => {
  const h = await gatewayHarness({ storage: { shredIntervalMs: 200 } });
  const { f } = h;
  // Grants live across runs (one chain): `${patient}:${provider}` -> grant id.
  const grants = new Map<string, bigint>();
  const steps = { total: 0, refused: 0 };
  const started = performance.now();
  try {
    const escrowPolicy = await (await h.client('patient')).escrowConfig();
    const runs = Number(process.env.MEDCHAIN_PROPERTY_RUNS ?? 100);
    await fc.assert(fc.asyncProperty(fc.array(actionArb, { minLength: 3, maxLength: 12 }), async (actions) => {
      const records: ModelRecord[] = [];
      // (record, version, recipient) -> the envelope its rightful depositor stored.
      const envelopes = new Map<string, string>();
      const escrowSnapshots = new Map<Hex, unknown>();
      const key = (recordId: Hex, v: number, recipient: Address) => `${recordId.toLowerCase()}|${v}|${recipient.toLowerCase()}`;
      const pick = (n: number) => (records.length === 0 ? undefined : records[n % records.length]);
      const actorOf = (r: { patient: PatientActor }, author: Author): Actor => (author === 'self' ? r.patient : author);
      const mayWrite = (patient: PatientActor, author: Actor) => author === patient || grants.has(`${patient}:${author}`);

      async function writeVersion(r: ModelRecord | undefined, patient: PatientActor, author: Actor, text: string): Promise<ModelRecord | undefined> {
        const resource = { resourceType: 'Observation', status: 'final', code: { text } };
        const recipients = [...new Set<Actor>([patient, author])].map((a) => ({ address: f.addr[a], publicKey: h.encryption[a].publicKey }));
        const version = (r?.versions.length ?? 0) + 1;
        const prepared = await prepareRecordVersion({
          plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient: f.addr[patient], resourceType: 'Observation', recordId: r?.recordId, version, recipients, escrow: escrowPolicy,
        });
        const c = await h.client(author);
        await c.uploadCiphertext(prepared.ciphertext);
        const registry = f.as(author).recordRegistry.write;
        const send = r ? registry.updateRecord([r.recordId, version - 1, prepared.contentId, prepared.integrityHash]) : registry.addRecord([prepared.recordId, f.addr[patient], prepared.category, prepared.contentId, prepared.integrityHash]);
        if (!mayWrite(patient, author) || r?.erased) {
          assert.match(await revertName(send), r?.erased ? /RecordIsErased/ : /NotAuthorized/);
          steps.refused++;
          return undefined;
        }
        await f.mined(send);
        await c.depositEnvelopes(prepared.recordId, version, prepared.envelopes, undefined, prepared.escrow);
        const record = r ?? { recordId: prepared.recordId, patient, versions: [], erased: false };
        record.versions.push({ author, cid: prepared.cid, contentId: prepared.contentId, integrityHash: prepared.integrityHash, resource });
        for (const e of prepared.envelopes) envelopes.set(key(prepared.recordId, version, e.recipient), b64(e.envelope));
        escrowSnapshots.set(prepared.recordId, await escrowRows(h, prepared.recordId));
        return record;
      }

      async function step(a: Action): Promise<void> {
        switch (a.kind) {
          case 'add': {
            const r = await writeVersion(undefined, a.patient, actorOf(a, a.author), a.text);
            if (r) records.push(r);
            return;
          }
          case 'update': {
            const r = pick(a.pick);
            if (r) await writeVersion(r, r.patient, actorOf(r, a.author), a.text);
            return;
          }
          case 'grant': {
            const receipt = await f.mined(f.as(a.patient).consent.write.grant([{
              grantee: f.addr[a.provider], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'),
              validFrom: 0n, validUntil: (await f.latestTimestamp()) + 30n * 86400n,
            }]));
            const created = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' })[0]!;
            grants.set(`${a.patient}:${a.provider}`, created.args.grantId);
            return;
          }
          case 'revoke': {
            const id = grants.get(`${a.patient}:${a.provider}`);
            if (id === undefined) return;
            await f.mined(f.as(a.patient).consent.write.revoke([id]));
            grants.delete(`${a.patient}:${a.provider}`);
            return;
          }
          case 'share': {
            const r = pick(a.pick);
            if (!r) return;
            const v = r.versions.length;
            const patient = await h.client(r.patient);
            const token = patient.sessionToken!;
            if (r.erased) {
              const refused = await httpCall(h.gateway.url, 'POST', `/api/records/${r.recordId}/versions/${v}/share`, { token, body: { recipient: f.addr[a.provider], envelope: 'AAAA' } });
              assert.equal(refused.status, 410);
              steps.refused++;
              return;
            }
            const binding = bindingOf(r.recordId, v, f.addr[r.patient]);
            const dataKey = await unwrapDataKey((await patient.getEnvelope(r.recordId, v)).envelope, h.encryption[r.patient].privateKey, binding);
            const envelope = await wrapDataKey(dataKey, h.encryption[a.provider].publicKey, binding);
            const shared = await httpCall(h.gateway.url, 'POST', `/api/records/${r.recordId}/versions/${v}/share`, { token, body: { recipient: f.addr[a.provider], envelope: b64(envelope) } });
            if (grants.has(`${r.patient}:${a.provider}`)) {
              assert.equal(shared.status, 201);
              envelopes.set(key(r.recordId, v, f.addr[a.provider]), b64(envelope));
              assert.deepEqual(await readAndDecrypt(h, a.provider, r.recordId, v, f.addr[r.patient], r.versions[v - 1]!.integrityHash), r.versions[v - 1]!.resource);
            } else {
              assert.equal(shared.status, 409);
              steps.refused++;
            }
            return;
          }
          case 'erase': {
            const r = pick(a.pick);
            if (!r || r.erased) return;
            await f.mined(f.as(r.patient).recordRegistry.write.eraseRecord([r.recordId]));
            r.erased = true;
            if (a.call) {
              const erased = await httpCall(h.gateway.url, 'POST', `/api/records/${r.recordId}/erase`, { token: (await h.client(r.patient)).sessionToken!, body: {} });
              assert.equal(erased.status, 200);
              assert.equal(erased.json?.shredded, true);
              assert.equal(erased.json?.ciphertextsDestroyed, r.versions.length);
            }
            return;
          }
          case 'attack-envelope': {
            // A provider (live, revoked or never granted; the author or not) tries to replace the patient's envelope or the escrow shares.
            const r = pick(a.pick);
            if (!r) return;
            const v = r.versions.length;
            const body = {
              envelopes: [{ recipient: f.addr[r.patient], envelope: b64(crypto.getRandomValues(new Uint8Array(80))) }],
              ...(a.escrow ? { escrow: { threshold: 2, commitment: b64(new Uint8Array(32).fill(1)), shares: [0, 1].map((i) => ({ custodian: escrowPolicy.custodians[i]!.id, index: i, envelope: b64(crypto.getRandomValues(new Uint8Array(80))) })) } } : {}),
            };
            const attempt = await httpCall(h.gateway.url, 'POST', `/api/records/${r.recordId}/versions/${v}/envelopes`, { token: (await h.client(a.attacker)).sessionToken!, body });
            assert.ok([403, 409, 410].includes(attempt.status), `attack answered ${attempt.status}: ${attempt.text}`);
            steps.refused++;
            return;
          }
          case 'attack-claim-cid': {
            // The other patient registers this record's (public) content id in a record of its own.
            const r = pick(a.pick);
            if (!r) return;
            const thief: PatientActor = r.patient === 'patient' ? 'patient2' : 'patient';
            const target = r.versions.at(-1)!;
            const name = await revertName(f.as(thief).recordRegistry.write.addRecord([`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`, f.addr[thief], `0x${'11'.repeat(32)}`, target.contentId, target.integrityHash]));
            assert.equal(name, 'ContentIdInUse');
            steps.refused++;
            return;
          }
        }
      }

      async function checkInvariants(after: Action): Promise<void> {
        await h.waitIndexed();
        await h.gateway.shredPending();
        for (const r of records) {
          const rows = await envelopeRows(h, r.recordId) as Array<{ version: number | string; recipient: string; envelope: string }>;
          if (r.erased) {
            for (const v of r.versions) assert.equal(blobOnDisk(h.dataDir, v.cid), false, `erased ciphertext on disk after ${after.kind}`);
            assert.equal(rows.length, 0, 'envelopes of an erased record remain');
            assert.deepEqual(await escrowRows(h, r.recordId), { bundles: [], shares: [] });
            const read = await httpCall(h.gateway.url, 'GET', `/api/records/${r.recordId}/versions/1/ciphertext`, { token: (await h.client(r.patient)).sessionToken! });
            assert.equal(read.status, 404);
            continue;
          }
          for (const [i, v] of r.versions.entries()) {
            assert.equal(blobOnDisk(h.dataDir, v.cid), true, `live ciphertext missing after ${after.kind}`);
            assert.deepEqual(await readAndDecrypt(h, r.patient, r.recordId, i + 1, f.addr[r.patient], v.integrityHash), v.resource);
            assert.ok(rows.some((row) => Number(row.version) === i + 1 && row.recipient === f.addr[r.patient].toLowerCase()), 'the patient\'s envelope is gone');
          }
          // Every stored envelope is the one its rightful depositor stored (a reader's may be swept when access ends).
          for (const row of rows) assert.equal(row.envelope, envelopes.get(key(r.recordId, Number(row.version), row.recipient as Address)), `envelope of ${row.recipient} changed after ${after.kind}`);
          assert.deepEqual(await escrowRows(h, r.recordId), escrowSnapshots.get(r.recordId), `escrow changed after ${after.kind}`);
        }
      }

      for (const action of actions) {
        await step(action);
        steps.total++;
        await checkInvariants(action);
      }
    }), { numRuns: runs, endOnFailure: true });
  } finally {
    await h.close();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`# records property: ${steps.total} steps (${steps.refused} refused as expected) in ${seconds} s`);
  }
});
