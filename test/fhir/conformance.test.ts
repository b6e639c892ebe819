// FHIR R4 conformance over real HTTP against a running gateway on the embedded node in production
// mode (issue 18): every response body is checked against the official HL7 R4 JSON schema (ajv,
// r4Schema.ts), and each rule of the issue has its own check — write semantics, If-Match, paging
// and totals, POST _search, one patient identity, a truthful CapabilityStatement, HTTP details,
// Consent.dateTime, IHE BALP AuditEvents with real outcomes, the configured public URL (never the
// Host header) — then a round trip with fhir-kit-client as an integrator would use it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'fhir-kit-client';
import { keccak256, toHex } from 'viem';
import { productionGateway, type ProductionGateway, type Role } from './productionGateway.ts';
import { r4SchemaErrors, warmR4Schema } from './r4Schema.ts';

type Json = Record<string, any> & { resourceType: any };
const LOINC = 'http://loinc.org';
const observation = (patient: string, value: number, code = '8867-4', when = '2026-03-01T08:00:00Z') => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code }] },
  subject: { reference: `Patient/${patient.toLowerCase()}` }, effectiveDateTime: when,
  valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
});

/** A free port, so the public URL can be configured before the gateway starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe('FHIR R4 conformance (production-mode node, real HTTP, official R4 JSON schema)', () => {
  let g: ProductionGateway;
  let base: string; // the configured public URL (differs from the listening URL's host on purpose)
  let P: string; // the patient's address, lower case: their Patient id
  const bodies = { checked: 0, invalid: [] as string[] };
  const fullUrls = new Set<string>();

  /** One HTTP call; a JSON body is checked against the R4 schema, its fullUrls remembered. */
  async function fhir(who: Role | undefined, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (who) headers.authorization = `Bearer ${await g.token(who)}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) { body = JSON.stringify(options.body); headers['content-type'] ??= 'application/fhir+json'; }
    const response = await fetch(`${g.gateway.url}/fhir${path}`, { method, headers, body });
    const text = await response.text();
    let json: Json | undefined;
    try { json = JSON.parse(text) as Json; } catch { json = undefined; }
    if (json) {
      bodies.checked++;
      const errors = r4SchemaErrors(json);
      for (const entry of (json.entry ?? []) as Json[]) {
        if (entry.resource) errors.push(...r4SchemaErrors(entry.resource));
        if (entry.fullUrl) fullUrls.add(entry.fullUrl as string);
      }
      if (errors.length > 0) bodies.invalid.push(`${method} ${path}: ${errors.slice(0, 4).join('; ')}`);
      assert.deepEqual(errors.slice(0, 4), [], `${method} ${path} answered a body that is not valid R4`);
    }
    return { status: response.status, headers: response.headers, text, json: json as Json };
  }
  const outcome = (r: { json: Json }) => assert.equal(r.json?.resourceType, 'OperationOutcome', 'an OperationOutcome');
  const recordCount = async () => (await g.as('lab').recordRegistry.read.recordsOf([g.addr.patient])).length;

  before(async () => {
    warmR4Schema(['Patient', 'Observation', 'Bundle', 'OperationOutcome', 'CapabilityStatement', 'Provenance', 'Consent', 'AuditEvent']);
    const port = await freePort();
    base = `http://localhost:${port}`;
    g = await productionGateway({ port, publicUrl: `${base}/` });
    P = g.addr.patient.toLowerCase();
    await g.grant('lab');
    await g.grant('hospital', 1);
  });
  after(async () => { await g?.close(); });

  let patientResource: Json;
  let obsId: string;

  it('a Patient is known by its account address: create, read by address, references and searches agree', async () => {
    const created = await fhir('lab', 'POST', '/Patient', { body: {
      resourceType: 'Patient', identifier: [{ system: 'urn:ethereum:address', value: g.addr.patient }], name: [{ family: 'Lovelace', given: ['Ada'] }], birthDate: '1985-12-10',
    } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, P);
    patientResource = created.json;
    const read = await fhir('lab', 'GET', `/Patient/${P}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.name[0].family, 'Lovelace');
    const again = await fhir('lab', 'POST', '/Patient', { body: { resourceType: 'Patient', identifier: [{ system: 'urn:ethereum:address', value: g.addr.patient }] } });
    assert.equal(again.status, 409, 'one Patient per patient: a second create is refused');
    outcome(again);
  });

  it('create: 201, Location …/_history/1 under the public URL, ETag, Last-Modified, body', async () => {
    const before = await recordCount();
    const r = await fhir('lab', 'POST', '/Observation', { body: observation(P, 72) });
    assert.equal(r.status, 201, r.text);
    obsId = r.json.id;
    assert.equal(r.headers.get('location'), `${base}/fhir/Observation/${obsId}/_history/1`);
    assert.equal(r.headers.get('etag'), 'W/"1"');
    assert.ok(!Number.isNaN(Date.parse(r.headers.get('last-modified') ?? '')), 'Last-Modified is an HTTP-date');
    assert.equal(r.json.meta.versionId, '1');
    assert.equal(await recordCount(), before + 1);
  });

  it('the Observation\'s subject reference resolves to the Patient', async () => {
    const read = await fhir('lab', 'GET', `/Observation/${obsId}`);
    const subject = read.json.subject.reference as string;
    assert.equal(subject, `Patient/${P}`);
    const patient = await fhir('lab', 'GET', `/${subject}`);
    assert.equal(patient.status, 200);
    assert.equal(patient.json.id, patientResource.id);
  });

  it('Prefer: return=minimal answers no body; return=OperationOutcome an OperationOutcome', async () => {
    const minimal = await fhir('lab', 'POST', '/Observation', { body: observation(P, 60), headers: { prefer: 'return=minimal' } });
    assert.equal(minimal.status, 201);
    assert.equal(minimal.text, '');
    assert.match(minimal.headers.get('location') ?? '', /\/fhir\/Observation\/[0-9a-f]{64}\/_history\/1$/);
    const oo = await fhir('lab', 'POST', '/Observation', { body: observation(P, 61), headers: { prefer: 'return=OperationOutcome' } });
    assert.equal(oo.status, 201);
    outcome(oo);
    assert.equal(oo.json.issue[0].severity, 'information');
  });

  it('conditional create (If-None-Exist) is refused as the CapabilityStatement declares, and writes nothing', async () => {
    const before = await recordCount();
    const r = await fhir('lab', 'POST', '/Observation', { body: observation(P, 62), headers: { 'if-none-exist': `code=${LOINC}|8867-4` } });
    assert.equal(r.status, 400);
    outcome(r);
    assert.equal(await recordCount(), before);
    const metadata = await fhir(undefined, 'GET', '/metadata');
    assert.ok(metadata.json.rest[0].resource.filter((x: Json) => x.type === 'Observation').every((x: Json) => x.conditionalCreate === false));
  });

  it('update: PUT without an id in the body → 400; If-Match current → 200 W/"2"; stale If-Match → 412 and nothing changes', async () => {
    const noId = await fhir('lab', 'PUT', `/Observation/${obsId}`, { body: observation(P, 73) });
    assert.equal(noId.status, 400);
    outcome(noId);
    const ok = await fhir('lab', 'PUT', `/Observation/${obsId}`, { body: { ...observation(P, 74), id: obsId }, headers: { 'if-match': 'W/"1"' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('etag'), 'W/"2"');
    assert.equal(ok.headers.get('location'), `${base}/fhir/Observation/${obsId}/_history/2`);
    assert.ok(ok.headers.get('last-modified'));
    const stale = await fhir('lab', 'PUT', `/Observation/${obsId}`, { body: { ...observation(P, 99), id: obsId }, headers: { 'if-match': 'W/"99"' } });
    assert.equal(stale.status, 412);
    outcome(stale);
    const staleOld = await fhir('lab', 'PUT', `/Observation/${obsId}`, { body: { ...observation(P, 98), id: obsId }, headers: { 'if-match': 'W/"1"' } });
    assert.equal(staleOld.status, 412);
    const read = await fhir('lab', 'GET', `/Observation/${obsId}`);
    assert.equal(read.json.meta.versionId, '2');
    assert.equal(read.json.valueQuantity.value, 74);
  });

  it('read and vread: ETag, Last-Modified, charset=utf-8', async () => {
    for (const path of [`/Observation/${obsId}`, `/Observation/${obsId}/_history/1`]) {
      const r = await fhir('lab', 'GET', path);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
      assert.match(r.headers.get('etag') ?? '', /^W\/"\d+"$/);
      assert.ok(!Number.isNaN(Date.parse(r.headers.get('last-modified') ?? '')));
    }
    const history = await fhir('lab', 'GET', `/Observation/${obsId}/_history`);
    assert.equal(history.json.total, 2);
  });

  it('search: _count is obeyed, total counts every match, next/previous page through all of them', async () => {
    await g.waitIndexed();
    const first = await fhir('lab', 'GET', `/Observation?patient=Patient/${P}&_count=1`);
    assert.equal(first.status, 200);
    const total = first.json.total as number;
    assert.ok(total >= 3, `total ${total}`);
    assert.equal(first.json.entry.length, 1);
    const seen = [first.json.entry[0].resource.id as string];
    let page = first.json;
    while (page.link.find((l: Json) => l.relation === 'next')) {
      const next = page.link.find((l: Json) => l.relation === 'next').url as string;
      assert.ok(next.startsWith(`${base}/fhir/`), 'links use the public URL');
      const r = await fhir('lab', 'GET', next.slice(`${base}/fhir`.length));
      assert.equal(r.json.entry.length, 1);
      assert.ok(r.json.link.some((l: Json) => l.relation === 'previous'));
      seen.push(r.json.entry[0].resource.id);
      page = r.json;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total, 'each match once');
    const zero = await fhir('lab', 'GET', `/Observation?patient=${P}&_count=0`);
    assert.equal(zero.json.total, total);
    assert.equal((zero.json.entry ?? []).length, 0);
  });

  it('POST [type]/_search with form parameters answers like GET', async () => {
    const get = await fhir('lab', 'GET', `/Observation?patient=${P}&code=${encodeURIComponent(`${LOINC}|8867-4`)}`);
    const post = await fhir('lab', 'POST', '/Observation/_search', { raw: new URLSearchParams({ patient: `Patient/${P}`, code: `${LOINC}|8867-4` }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(post.status, 200, post.text);
    assert.equal(post.json.total, get.json.total);
    assert.deepEqual(post.json.entry.map((e: Json) => e.resource.id).sort(), get.json.entry.map((e: Json) => e.resource.id).sort());
    const consent = await fhir('patient', 'POST', '/Consent/_search', { raw: `patient=${P}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(consent.status, 200);
  });

  it('Patient search by _id and identifier; $everything by the same id includes the Patient', async () => {
    const byId = await fhir('lab', 'GET', `/Patient?_id=${P}`);
    assert.equal(byId.json.total, 1);
    const byIdentifier = await fhir('lab', 'GET', `/Patient?identifier=${encodeURIComponent(`urn:ethereum:address|${g.addr.patient}`)}`);
    assert.equal(byIdentifier.json.entry[0].resource.id, P);
    const everything = await fhir('lab', 'GET', `/Patient/${P}/$everything`);
    assert.equal(everything.status, 200);
    const types = new Set(everything.json.entry.map((e: Json) => e.resource.resourceType));
    assert.ok(types.has('Patient') && types.has('Observation') && types.has('Consent'), [...types].join());
    const paged = await fhir('lab', 'GET', `/Patient/${P}/$everything?_count=2`);
    assert.equal(paged.json.entry.length, 2);
    assert.equal(paged.json.total, everything.json.total);
  });

  it('the CapabilityStatement declares exactly what works, with canonical SearchParameter definitions', async () => {
    const metadata = await fhir(undefined, 'GET', '/metadata');
    assert.equal(metadata.json.implementation.url, `${base}/fhir`);
    const resources = metadata.json.rest[0].resource as Json[];
    const canonical = /^http:\/\/hl7\.org\/fhir\/SearchParameter\/[A-Za-z]+(-[a-z-]+)?$/;
    const sample: Record<string, string> = { reference: `Patient/${P}`, token: `${LOINC}|8867-4`, date: 'ge2000-01-01' };
    const invalidForType: Record<string, string[]> = { Patient: ['patient', 'code', 'date'], Condition: ['date'], Immunization: ['code'], DocumentReference: ['code'] };
    for (const resource of resources) {
      const params = (resource.searchParam ?? []) as Json[];
      for (const name of invalidForType[resource.type] ?? []) assert.ok(!params.some((p) => p.name === name), `${resource.type} does not declare ${name}`);
      if (resource.type === 'Binary') assert.equal(params.length, 0, 'Binary has no search parameters in R4');
      for (const p of params) {
        assert.match(p.definition, canonical, `${resource.type}.${p.name} has a canonical definition`);
        // Every declared parameter works.
        let value = sample[p.type]!;
        if (p.name === 'target') value = `Observation/${obsId}`;
        if (p.name === 'actor') value = g.addr.lab;
        if (p.name === '_id') value = P;
        if (p.name === 'identifier') value = `urn:ethereum:address|${g.addr.patient}`;
        const query = new URLSearchParams({ [p.name]: value });
        if (!['patient', 'subject', '_id', 'identifier', 'target'].includes(p.name) && resource.type !== 'Patient') query.set('patient', P);
        const r = await fhir(resource.type === 'AuditEvent' || resource.type === 'Consent' ? 'patient' : 'lab', 'GET', `/${resource.type}?${query}`);
        assert.equal(r.status, 200, `${resource.type}?${query}: ${r.text.slice(0, 300)}`);
      }
    }
    const undeclared = await fhir('lab', 'GET', `/Immunization?patient=${P}&code=x`);
    assert.equal(undeclared.status, 400, 'what is not declared is refused');
  });

  it('HTTP: _format=json accepted; _format=xml and Accept xml → 406; an XML body → 415 and nothing written', async () => {
    assert.equal((await fhir('lab', 'GET', `/Observation/${obsId}?_format=json`)).status, 200);
    assert.equal((await fhir('lab', 'GET', `/Observation/${obsId}?_format=application/fhir%2Bjson`)).status, 200);
    assert.equal((await fhir(undefined, 'GET', '/metadata?_format=json')).status, 200);
    for (const r of [await fhir('lab', 'GET', `/Observation/${obsId}?_format=xml`), await fhir('lab', 'GET', `/Observation/${obsId}`, { headers: { accept: 'application/fhir+xml' } })]) {
      assert.equal(r.status, 406);
      outcome(r);
    }
    const before = await recordCount();
    const xml = await fhir('lab', 'POST', '/Observation', { raw: '<Observation xmlns="http://hl7.org/fhir"><status value="final"/></Observation>', headers: { 'content-type': 'application/fhir+xml' } });
    assert.equal(xml.status, 415);
    outcome(xml);
    assert.equal(await recordCount(), before);
  });

  it('HTTP: 401 carries WWW-Authenticate: Bearer (RFC 6750)', async () => {
    const r = await fhir(undefined, 'GET', `/Observation/${obsId}`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="/);
    outcome(r);
  });

  it('HTTP: DELETE and PATCH → 405 OperationOutcome; conditional update and delete → 400; nothing changes', async () => {
    for (const method of ['DELETE', 'PATCH']) {
      const r = await fhir('lab', method, `/Observation/${obsId}`, method === 'PATCH' ? { raw: '[]', headers: { 'content-type': 'application/json' } } : {});
      assert.equal(r.status, 405, method);
      outcome(r);
    }
    const condPut = await fhir('lab', 'PUT', `/Observation?code=${LOINC}|8867-4`, { body: observation(P, 1) });
    assert.equal(condPut.status, 400);
    outcome(condPut);
    const condDelete = await fhir('lab', 'DELETE', `/Observation?code=${LOINC}|8867-4`);
    assert.equal(condDelete.status, 400);
    outcome(condDelete);
    const read = await fhir('lab', 'GET', `/Observation/${obsId}`);
    assert.equal(read.json.meta.versionId, '2');
  });

  it('POST /fhir/ (trailing slash) reaches transaction and batch', async () => {
    const tx = await fhir('lab', 'POST', '/', { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(P, 90), request: { method: 'POST', url: 'Observation' } }] } });
    assert.equal(tx.status, 200, tx.text);
    assert.equal(tx.json.type, 'transaction-response');
    assert.equal(tx.json.entry[0].response.status, '201 Created');
    const batch = await fhir('lab', 'POST', '/', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { ...observation(P, 91), id: obsId }, request: { method: 'PUT', url: `Observation/${obsId}`, ifMatch: 'W/"1"' } }] } });
    assert.equal(batch.json.type, 'batch-response');
    assert.equal(batch.json.entry[0].response.status, '412', 'a stale ifMatch in a batch entry fails that entry');
  });

  it('Consent: paging and totals; dateTime is when the consent was given, not when it starts', async () => {
    await g.grant('ward', 1, 'patient', 7n * 86_400n); // upcoming: starts in a week
    await g.waitIndexed();
    const all = await fhir('patient', 'GET', `/Consent?patient=Patient/${P}`);
    assert.ok(all.json.total >= 3);
    const one = await fhir('patient', 'GET', `/Consent?patient=${P}&_count=1`);
    assert.equal(one.json.entry.length, 1);
    assert.equal(one.json.total, all.json.total);
    assert.ok(one.json.link.some((l: Json) => l.relation === 'next'));
    const byActor = await fhir('patient', 'GET', `/Consent?patient=${P}&actor=${g.addr.ward}`);
    assert.equal(byActor.json.total, 1);
    const upcoming = byActor.json.entry[0].resource;
    assert.notEqual(upcoming.dateTime, upcoming.provision.period.start);
    const [row] = await g.gateway.db.query<{ created_block: number | string }>('SELECT created_block FROM grants WHERE grantee = $1', [g.addr.ward.toLowerCase()]);
    const block = await g.client.getBlock({ blockNumber: BigInt(row!.created_block) });
    assert.equal(upcoming.dateTime, new Date(Number(block.timestamp) * 1000).toISOString());
    assert.equal(upcoming.patient.reference, `Patient/${P}`);
  });

  it('AuditEvent follows IHE BALP: subtype, action codes, agents, network, source type, entities by reference', async () => {
    await fhir('lab', 'GET', `/Observation/${obsId}/_history`);
    const events = await fhir('patient', 'GET', `/AuditEvent?patient=${P}&_count=1000`);
    const byInteraction = (code: string) => (events.json.entry as Json[]).map((e) => e.resource).filter((e) => e.subtype?.some((s: Json) => s.system === 'http://hl7.org/fhir/restful-interaction' && s.code === code));
    for (const [code, action] of [['create', 'C'], ['read', 'R'], ['vread', 'R'], ['update', 'U'], ['history-instance', 'R'], ['search-type', 'E']] as const) {
      const found = byInteraction(code);
      assert.ok(found.length > 0, `an AuditEvent for ${code}`);
      for (const e of found) assert.equal(e.action, action, `${code} is action ${action}`);
    }
    const read = byInteraction('read').find((e) => e.entity.some((x: Json) => x.what.reference === `Observation/${obsId}`));
    assert.ok(read, 'the record entity is a FHIR reference Observation/<id>');
    assert.equal(read.type.code, 'rest');
    assert.ok(read.agent.every((a: Json) => a.type?.coding?.length > 0), 'every agent has a type');
    assert.ok(read.agent.some((a: Json) => a.network?.address === new URL(base).host), 'the server agent\'s network address');
    assert.equal(read.source.type[0].code, '4');
    assert.ok(read.entity.every((x: Json) => x.type?.code), 'every entity has a type');
    assert.ok(read.entity.some((x: Json) => x.what.reference === `Patient/${P}`));
    const one = await fhir('patient', 'GET', `/AuditEvent?patient=${P}&_count=1`);
    assert.equal(one.json.entry.length, 1);
    assert.equal(one.json.total, events.json.total);
    const second = await fhir('patient', 'GET', one.json.link.find((l: Json) => l.relation === 'next').url.slice(`${base}/fhir`.length));
    assert.notEqual(second.json.entry[0].resource.id, one.json.entry[0].resource.id);
  });

  it('AuditEvent: break-glass is DICOM "Emergency Override Started"; a failed create is logged as a failure', async () => {
    // The ward has no live grant (only an upcoming one): break-glass is its only way in.
    assert.equal((await fhir('ward', 'GET', `/Observation/${obsId}`)).status, 403);
    await g.mined(g.as('ward').consent.write.openEmergencyAccess([g.addr.patient, keccak256(toHex('unconscious in the ER'))]));
    await fhir('ward', 'GET', `/Observation/${obsId}`); // allowed by break-glass (no key share: 403 after the decision)
    await g.grant('ward');
    await g.node.request({ method: 'perm_removeAccountsFromAllowlist', params: [[g.addr.ward]] } as never);
    const failed = await fhir('ward', 'POST', '/Observation', { body: observation(P, 50) });
    assert.ok(failed.status >= 500);
    outcome(failed);
    const events = ((await fhir('patient', 'GET', `/AuditEvent?patient=${P}&_count=1000`)).json.entry as Json[]).map((e) => e.resource);
    const emergency = events.find((e) => e.agent[0].who.identifier.value === g.addr.ward.toLowerCase() && e.subtype.some((s: Json) => s.code === '110127'));
    assert.ok(emergency, 'the break-glass read carries subtype DCM 110127');
    assert.equal(emergency.purposeOfEvent[0].coding[0].code, 'ETREAT');
    const wardCreates = events.filter((e) => e.agent[0].who.identifier.value === g.addr.ward.toLowerCase() && e.action === 'C');
    assert.equal(wardCreates.length, 1);
    assert.equal(wardCreates[0].outcome, '8', 'the create that never reached the chain is a failure');
  });

  it('every fullUrl served resolves (resources, Consent, AuditEvent, Provenance)', async () => {
    await g.waitIndexed();
    await fhir('lab', 'GET', `/Provenance?target=Observation/${obsId}`);
    await fhir('patient', 'GET', `/AuditEvent?patient=${P}&_count=5`);
    const kinds = new Set<string>();
    for (const url of fullUrls) {
      assert.ok(url.startsWith(`${base}/fhir/`), url);
      const path = url.slice(`${base}/fhir`.length);
      const type = path.split('/')[1]!;
      const who: Role = type === 'AuditEvent' || type === 'Consent' ? 'patient' : 'lab';
      const r = await fhir(who, 'GET', path);
      assert.equal(r.status, 200, `${url}: ${r.text.slice(0, 200)}`);
      assert.equal(`${r.json.resourceType}/${r.json.id}`, path.slice(1));
      kinds.add(type);
    }
    for (const type of ['Observation', 'Patient', 'Consent', 'AuditEvent', 'Provenance']) assert.ok(kinds.has(type), `a ${type} fullUrl was checked`);
  });

  it('the Host header is never reflected: FHIR URLs and /openapi.json servers use the configured public URL', async () => {
    const token = await g.token('lab');
    const { port } = new URL(g.gateway.url);
    const get = (path: string) => new Promise<string>((ok, fail) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: 'evil.example', authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += String(d); });
        res.on('end', () => ok(text));
      });
      req.on('error', fail);
      req.end();
    });
    for (const path of [`/fhir/Observation?patient=${P}&_count=1`, '/fhir/metadata', '/openapi.json']) {
      const text = await get(path);
      assert.ok(!text.includes('evil.example'), `${path} reflects the Host header`);
      assert.ok(text.includes(base), `${path} uses ${base}`);
    }
  });

  it('an integrator\'s round trip with fhir-kit-client: read, search with paging, create, update with If-Match, transaction', async () => {
    // Through the listening URL; the links the server returns use the public URL (also reachable here).
    const client = new Client({ baseUrl: `${base}/fhir`, bearerToken: await g.token('lab') });
    const patient = await client.read({ resourceType: 'Patient', id: P }) as Json;
    assert.equal(patient.id, P);
    const created = await client.create({ resourceType: 'Observation', body: observation(P, 77, '8867-4', '2026-04-01T09:00:00Z') }) as Json;
    assert.match(created.id, /^[0-9a-f]{64}$/);
    const updated = await client.update({ resourceType: 'Observation', id: created.id, body: { ...created, resourceType: 'Observation', valueQuantity: { ...created.valueQuantity, value: 78 } }, options: { headers: { 'If-Match': 'W/"1"' } } }) as Json;
    assert.equal(updated.meta.versionId, '2');
    await assert.rejects(client.update({ resourceType: 'Observation', id: created.id, body: created, options: { headers: { 'If-Match': 'W/"1"' } } }), (e: { response?: { status: number } }) => e.response?.status === 412);
    const tx = await client.transaction({ body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(P, 79), request: { method: 'POST', url: 'Observation' } }] } }) as Json;
    assert.equal(tx.type, 'transaction-response');
    await g.waitIndexed();
    let page = await client.search({ resourceType: 'Observation', searchParams: { patient: `Patient/${P}`, _count: 2 } }) as Json;
    const total = page.total as number;
    const ids: string[] = [];
    for (;;) {
      for (const e of page.entry ?? []) ids.push(e.resource.id);
      const next = await client.nextPage({ bundle: page as never }) as Json | undefined;
      if (!next) break;
      page = next;
    }
    assert.equal(ids.length, total);
    assert.ok(ids.includes(created.id));
    for (const resource of [patient, created, updated, tx]) assert.deepEqual(r4SchemaErrors(resource).slice(0, 3), []);
  });

  it('every response body was valid R4 (official JSON schema)', (t) => {
    t.diagnostic(`${bodies.checked} response bodies checked against fhir.schema.json, ${fullUrls.size} fullUrls resolved`);
    assert.deepEqual(bodies.invalid, []);
    assert.ok(bodies.checked > 80, `${bodies.checked} bodies checked`);
  });
});
