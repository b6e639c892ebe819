/**
 * Hostile input on the REST routes over real HTTP (issue 14 item 10): the 20-digit uint on the
 * consent relay routes, then a property-based fuzz (fast-check) of every route's path, query and
 * body with oversized numbers, wrong types and huge strings. Each answer is a clear 4xx with a
 * message and no internals; afterwards nothing changed on chain or in the gateway's tables, and
 * the patient still reads their record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';

async function snapshot(h: Harness) {
  const count = async (table: string) => Number((await h.gateway.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  return {
    block: await h.f.publicClient.getBlockNumber({ cacheTime: 0 }),
    grants: await h.f.read.consent.read.grantCount(),
    envelopes: await count('envelopes'), tokens: await count('record_tokens'), shares: await count('escrow_shares'), sessions: await count('auth_sessions'),
  };
}

function expectClean4xx(r: { status: number; text: string; json?: Record<string, unknown> }, what: string, options: { validMayPass?: boolean } = {}) {
  if (options.validMayPass && r.status < 300) return;
  assert.ok(r.status >= 400 && r.status < 500, `${what}: answered ${r.status} ${r.text.slice(0, 200)}`);
  assert.ok(typeof r.json?.error === 'string' && r.json.error.length > 0, `${what}: explains itself`);
  assert.doesNotMatch(r.text, /at .*\.ts:\d+|node_modules|stack|internal error/i, `${what}: leaks no internals`);
}

test('attack: relay requests with a 20-digit (and larger) uint get a 400 naming the field, and change nothing', async () => {
  const h = await gatewayHarness();
  try {
    const token = (await h.client('patient')).sessionToken!;
    const before = await snapshot(h);
    const now = await h.f.latestTimestamp();
    const terms = { grantee: h.f.addr.doctor, scopeKind: 0, scopeValue: `0x${'00'.repeat(32)}`, permissions: 1, purpose: `0x${'00'.repeat(32)}`, validFrom: '0', validUntil: String(now + 600n) };
    const signature = `0x${'11'.repeat(65)}`;
    const twenty = '9'.repeat(20); // > 2^64 - 1: fits the old \d{1,20} pattern, overflows uint64
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['validUntil 20 digits', '/api/grants/relay', { patient: h.f.addr.patient, terms: { ...terms, validUntil: twenty }, deadline: String(now + 600n), signature }, /terms\.validUntil.*64 bits/],
      ['validFrom 20 digits', '/api/grants/relay', { patient: h.f.addr.patient, terms: { ...terms, validFrom: twenty }, deadline: String(now + 600n), signature }, /terms\.validFrom.*64 bits/],
      ['deadline 79 digits', '/api/grants/relay', { patient: h.f.addr.patient, terms, deadline: '9'.repeat(79), signature }, /deadline/],
      ['requestId above uint256', '/api/grants/relay', { patient: h.f.addr.patient, terms, requestId: (2n ** 256n).toString(), deadline: String(now + 600n), signature }, /requestId.*256 bits/],
      ['extend validUntil 20 digits', '/api/grants/1/extend/relay', { patient: h.f.addr.patient, validUntil: twenty, deadline: String(now + 600n), signature }, /validUntil.*64 bits/],
      ['grant id above uint256', `/api/grants/${'9'.repeat(80)}/revoke/relay`, { patient: h.f.addr.patient, deadline: String(now + 600n), signature }, /unsigned integer/],
      ['unsafe JSON number', '/api/grants/relay', { patient: h.f.addr.patient, terms: { ...terms, validUntil: 2 ** 64 }, deadline: String(now + 600n), signature }, /validUntil/],
    ];
    for (const [name, path, body, expected] of cases) {
      const r = await httpCall(h.gateway.url, 'POST', path, { token, body });
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      expectClean4xx(r, name);
      assert.match(String(r.json!.error), expected, name);
    }
    assert.deepEqual(await snapshot(h), before);
  } finally {
    await h.close();
  }
});

test('fuzz: every REST route answers hostile paths, queries and bodies with a clean 4xx and changes nothing', async () => {
  const h = await gatewayHarness();
  try {
    const prepared = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' } });
    const patient = await h.client('patient');
    const token = patient.sessionToken!;
    await h.waitIndexed();
    const before = await snapshot(h);
    const rid = prepared.recordId;

    // Hostile scalars: oversized and malformed numbers, wrong JSON types, huge and odd strings.
    const hostileText = fc.oneof(
      fc.constantFrom('9'.repeat(20), '9'.repeat(80), '-1', '1e400', '0x10', 'NaN', 'Infinity', '1.5', '', ' ', '%00', '../../etc/passwd', "' OR 1=1 --", '0x', `0x${'z'.repeat(64)}`),
      fc.string({ maxLength: 40 }),
      fc.nat({ max: 64 }).map((n) => 'x'.repeat(n * 1000)),
    );
    const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
      hostileText, fc.constantFrom(true, false, null, [], {}, 1.5, -1, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 1e308),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
    );
    const enc = (v: string) => encodeURIComponent(v).slice(0, 6000);
    type Req = { method: 'GET' | 'POST'; path: string; body?: unknown };
    const request: fc.Arbitrary<Req> = fc.oneof(
      // Path parameters.
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/records/${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/records/${rid}/versions/${enc(v)}/envelope` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/records/${rid}/versions/${enc(v)}/ciphertext` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/audit/${enc(v)}/proof` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/explorer/tx/${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'POST', path: `/api/grants/${enc(v)}/revoke/relay`, body: {} })),
      // Query parameters.
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/grants?patient=${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/requests?provider=${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/emergencies?patient=${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/records?patient=${enc(v)}` })),
      fc.tuple(hostileText, hostileText).map(([a, l]): Req => ({ method: 'GET', path: `/api/audit?after=${enc(a)}&limit=${enc(l)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/explorer/blocks?count=${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/explorer/events?limit=${enc(v)}` })),
      hostileText.map((v): Req => ({ method: 'GET', path: `/api/records/${rid}/versions/1/verify?hash=${enc(v)}` })),
      // Bodies: one field of a valid-looking body replaced by a hostile value.
      fc.tuple(fc.constantFrom('patient', 'deadline', 'signature', 'requestId', 'terms', 'terms.grantee', 'terms.scopeKind', 'terms.scopeValue', 'terms.permissions', 'terms.purpose', 'terms.validFrom', 'terms.validUntil'), hostileJson)
        .map(([field, value]): Req => {
          const body: Record<string, unknown> = { patient: '0x' + '12'.repeat(20), deadline: '1', signature: `0x${'11'.repeat(65)}`, terms: { grantee: '0x' + '34'.repeat(20), scopeKind: 0, scopeValue: `0x${'00'.repeat(32)}`, permissions: 1, purpose: `0x${'00'.repeat(32)}`, validFrom: '0', validUntil: '1' } };
          if (field.startsWith('terms.')) (body.terms as Record<string, unknown>)[field.slice(6)] = value; else body[field] = value;
          return { method: 'POST', path: '/api/grants/relay', body };
        }),
      fc.tuple(fc.constantFrom('validUntil', 'deadline', 'signature', 'patient'), hostileJson).map(([field, value]): Req => ({
        method: 'POST', path: '/api/grants/1/extend/relay', body: { patient: '0x' + '12'.repeat(20), validUntil: '1', deadline: '1', signature: `0x${'11'.repeat(65)}`, [field]: value },
      })),
      hostileJson.map((v): Req => ({ method: 'POST', path: `/api/records/${rid}/versions/1/envelopes`, body: { envelopes: v } })),
      hostileJson.map((v): Req => ({ method: 'POST', path: `/api/records/${rid}/versions/1/envelopes`, body: { envelopes: [{ recipient: v, envelope: 'AAAA' }] } })),
      hostileJson.map((v): Req => ({ method: 'POST', path: `/api/records/${rid}/versions/1/share`, body: { recipient: h.f.addr.doctor, envelope: v } })),
      hostileJson.map((v): Req => ({ method: 'POST', path: '/auth/verify', body: { message: v, signature: v } })),
      hostileJson.map((v): Req => ({ method: 'POST', path: '/api/grants/relay', body: v })),
    );

    let sent = 0;
    await fc.assert(fc.asyncProperty(request, async (req) => {
      const r = await httpCall(h.gateway.url, req.method, req.path, { token, body: req.body });
      sent++;
      // A random value can happen to be valid (after=5&limit=7): then any success; never a 5xx.
      // A 404 for a hostile path segment that matches no route is a clean answer too.
      expectClean4xx(r, `${req.method} ${req.path.slice(0, 120)} ${JSON.stringify(req.body)?.slice(0, 200) ?? ''}`, { validMayPass: true });
    }), { numRuns: 300, seed: 14_10 });
    assert.equal(sent, 300);

    assert.deepEqual(await snapshot(h), before);
    const envelope = await patient.getEnvelope(rid, 1);
    assert.ok(envelope.envelope.length > 0, 'the patient still reads the record');
  } finally {
    await h.close();
  }
});

test('attack: a version whose content id is not a CID (a write grantee can register one) leaves GET /api/records/:id answering, with cid null', async () => {
  const h = await gatewayHarness();
  try {
    const good = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' } });
    const junk = `0x${'5a'.repeat(32)}` as const;
    await h.f.mined(h.f.as('patient').recordRegistry.write.updateRecord([good.recordId, 1, '0x1234deadbeef', `0x${'77'.repeat(32)}`]));
    await h.f.mined(h.f.as('patient').recordRegistry.write.addRecord([junk, h.f.addr.patient, `0x${'01'.repeat(32)}`, '0xff', `0x${'66'.repeat(32)}`]));
    await h.waitIndexed();
    const token = (await h.client('patient')).sessionToken!;
    for (const id of [good.recordId, junk]) {
      const r = await httpCall(h.gateway.url, 'GET', `/api/records/${id}`, { token });
      assert.equal(r.status, 200, r.text);
      const versions = r.json!.versions as Array<{ cid: string | null }>;
      assert.equal(versions.at(-1)!.cid, null, 'a content id that is not a CID is shown as none');
    }
    // The good version still opens; the junk one is a clean 404 for its ciphertext.
    assert.ok((await (await h.client('patient')).getEnvelope(good.recordId, 1)).envelope.length > 0);
    const missing = await httpCall(h.gateway.url, 'GET', `/api/records/${good.recordId}/versions/2/ciphertext`, { token });
    expectClean4xx(missing, 'ciphertext of a non-CID version');
  } finally {
    await h.close();
  }
});
