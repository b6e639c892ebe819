/**
 * Gateway read throughput: authorized reads of a ~10 KB FHIR resource over real HTTP, at 1, 16 and
 * 64 concurrent clients, and how latency changes with the number of records stored.
 *
 * The real gateway (startGateway, through the test harness) on the embedded EDR node with the
 * MedChain contracts. Every read is authorized from chain state at the latest block and appended
 * to the access log (SQLite WAL, fdatasync'd before the write is acknowledged) before the response
 * is sent. Rows:
 *   - ciphertext / envelope: a provider with a live grant (All scope) reads records of a patient;
 *   - denied: a provider without a grant (403, decided and logged like an allowed read);
 *   - peer (floor): the same HTTP stack (Hono on @hono/node-server) serving the same ciphertext
 *     bytes from the same blob store, with no session, authorization or audit.
 * The load generator is a child process (undici Pool, one connection per client, closed loop) so
 * it does not share the gateway's event loop; it shares the machine's cores.
 *
 * Seeding (printed with the results):
 *   - READ_SET records (default 1,000) go the real way: SDK prepareRecordVersion (AES-256-GCM +
 *     HPKE envelopes for patient and provider), ciphertext uploaded over HTTP, RecordRegistry.addRecord
 *     mined, envelopes deposited over HTTP. These are the records read.
 *   - The rest, up to each store size, are filler of another patient: RecordRegistry.addRecord
 *     transactions, many per block (automine off, node-signed eth_sendTransaction, evm_mine),
 *     indexed by the gateway's own indexer; the ~10 KB random ciphertext written straight into the
 *     blob store's directory layout (no fsync) and a patient-only envelope row inserted in SQL
 *     (one transaction per batch). No contract was changed.
 *   - Store sizes above BENCH_CHAIN_MAX (default 100,000) get only the gateway-side filler beyond
 *     that: the chain holds BENCH_CHAIN_MAX records, the gateway's index, envelopes and blob store N.
 *     This is stated per row ("chain records").
 *
 * Run: `npx tsx bench/gateway.ts` (or `npm run bench -- gateway`).
 * Env: BENCH_RECORDS=10000,100000 (store sizes; add 1000000 for the 1M point, ~10 GB of blobs),
 *      BENCH_CONCURRENCY_AT (size for the full concurrency sweep, default 100000 or the largest
 *      below), BENCH_SECONDS (per row, default 5), BENCH_READ_SET, BENCH_CHAIN_MAX.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';
import { encodeFunctionData, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { openRecordVersion, contentIdOf, newRecordId } from '../src/sdk/records.ts';
import { FsBlobStore } from '../src/storage/FsBlobStore.ts';
import { Permission, Purpose, RecordRegistryAbi, ScopeKind, recordCategory } from '../src/sdk/contracts.ts';
import { report, savePlot, percentile, type Row } from './lib/report.ts';

interface LoadConfig { origin: string; paths: string[]; headers: Record<string, string>; concurrency: number; seconds: number; warmupSeconds: number }
interface LoadResult { rps: number; p50: number; p99: number; ok: number; non2xx: number; errors: number; bytes: number }

// ------------------------------------------------------------------ load generator (child process)
if (process.argv[2] === '--load') {
  const cfg = JSON.parse(process.argv[3]!) as LoadConfig;
  const pool = new Pool(cfg.origin, { connections: cfg.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let ok = 0, non2xx = 0, errors = 0, bytes = 0, next = 0;
  const t0 = performance.now();
  const measureFrom = t0 + cfg.warmupSeconds * 1000;
  const end = measureFrom + cfg.seconds * 1000;
  await Promise.all(Array.from({ length: cfg.concurrency }, async () => {
    while (performance.now() < end) {
      const path = cfg.paths[next++ % cfg.paths.length]!;
      const start = performance.now();
      let status = 0, size = 0;
      try {
        const res = await pool.request({ origin: cfg.origin, path, method: 'GET', headers: cfg.headers });
        status = res.statusCode;
        size = (await res.body.arrayBuffer()).byteLength;
      } catch { status = -1; }
      const done = performance.now();
      if (start < measureFrom || done > end) continue;
      latencies.push(done - start);
      if (status >= 200 && status < 300) { ok++; bytes += size; } else if (status === -1) errors++; else non2xx++;
    }
  }));
  await pool.close();
  const result: LoadResult = { rps: ok / cfg.seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ok, non2xx, errors, bytes };
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

// ------------------------------------------------------------------ the bench
const { gatewayHarness } = await import('../test/gateway/harness.ts');

const sizes = (process.env.BENCH_RECORDS ?? '10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0).sort((a, b) => a - b);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const readSet = Number(process.env.BENCH_READ_SET ?? 1000);
const chainMax = Number(process.env.BENCH_CHAIN_MAX ?? 100_000);
const sweepAt = Number(process.env.BENCH_CONCURRENCY_AT ?? (sizes.filter((n) => n <= 100_000).at(-1) ?? sizes[0]));
const CONCURRENCY = [1, 16, 64];

function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--load', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** A FHIR R4 Observation (a lab panel) of about `bytes` bytes of JSON. */
function fhirObservation(i: number, patientRef: string, bytes = 10 * 1024): Record<string, unknown> {
  const component: unknown[] = [];
  const obs = {
    resourceType: 'Observation', id: `bench-${i}`, status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '24323-8', display: 'Comprehensive metabolic 2000 panel - Serum or Plasma' }] },
    subject: { reference: patientRef }, effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    performer: [{ reference: 'Organization/bench-lab' }], component,
  };
  let n = 0;
  while (JSON.stringify(obs).length < bytes) {
    component.push({
      code: { coding: [{ system: 'http://loinc.org', code: `${2000 + n}-${n % 10}`, display: `Analyte ${n} in Serum or Plasma` }] },
      valueQuantity: { value: Math.round(((i * 31 + n * 17) % 1000) / 10 * 10) / 10, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      referenceRange: [{ low: { value: 1, unit: 'mg/dL' }, high: { value: 99, unit: 'mg/dL' } }],
    });
    n++;
  }
  return obs;
}

const t00 = performance.now();
const h = await gatewayHarness();
const { f } = h;
const base = h.gateway.url;
const seeding: string[] = [];
const log = (s: string) => { console.log(s); seeding.push(s); };

// A live grant: the patient lets the doctor read everything (All scope) for a day.
const now = await f.latestTimestamp();
await f.mined(f.as('patient').consent.write.grant([{
  grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: `0x${'00'.repeat(32)}`, permissions: Permission.Read, purpose: Purpose.Treatment,
  validFrom: now, validUntil: now + 86_400n,
}]));

// The read set, the real way.
const t1 = performance.now();
const real: Array<{ recordId: Hex; cid: string; integrityHash: Hex; patient: Address }> = [];
for (let i = 0; i < readSet; i++) {
  const p = await h.addRecord('patient', 'patient', fhirObservation(i, 'Patient/bench'), ['doctor']);
  real.push({ recordId: p.recordId, cid: p.cid, integrityHash: p.integrityHash, patient: p.patient });
}
log(`read set: ${readSet} records of patient ${f.addr.patient} sealed by the SDK, uploaded, registered on chain, envelopes for patient + doctor deposited over HTTP (${((performance.now() - t1) / 1000).toFixed(1)} s)`);

// Filler: chain records (many per block) and gateway-side blobs and envelopes.
const blobsDir = join(h.dataDir, 'blobs', 'blocks');
const fillerPatient = f.addr.patient2;
const fillerCategory = recordCategory('Observation');
let chainCount = readSet;
let gatewayCount = readSet;
let fillerNonce = await f.publicClient.getTransactionCount({ address: fillerPatient, blockTag: 'pending' });
const blob = new Uint8Array(10 * 1024 + 28);

async function growChain(target: number): Promise<void> {
  if (chainCount >= target) return;
  const t0 = performance.now();
  const start = chainCount;
  const probe = { from: fillerPatient, to: f.addresses.recordRegistry, data: encodeFunctionData({ abi: RecordRegistryAbi, functionName: 'addRecord', args: [newRecordId(), fillerPatient, fillerCategory, (await contentIdOf(blob)).contentId, newRecordId()] }) };
  const gas = BigInt(await f.rpc('eth_estimateGas', [probe]) as Hex) * 13n / 10n;
  const perBlock = Number(50_000_000n / gas);
  await f.rpc('evm_setAutomine', [false]);
  while (chainCount < target) {
    const n = Math.min(perBlock, target - chainCount);
    // One block's transactions are sent together (explicit nonces keep their order in the pool).
    const sends: Array<Promise<unknown>> = [];
    for (let k = 0; k < n; k++) {
      const { contentId } = await contentIdOf(randomFillSync(blob));
      const data = encodeFunctionData({ abi: RecordRegistryAbi, functionName: 'addRecord', args: [newRecordId(), fillerPatient, fillerCategory, contentId, newRecordId()] });
      sends.push(f.rpc('eth_sendTransaction', [{ from: fillerPatient, to: f.addresses.recordRegistry, data, gas: `0x${gas.toString(16)}`, nonce: `0x${(fillerNonce++).toString(16)}` }]));
    }
    await Promise.all(sends);
    await f.rpc('evm_mine');
    chainCount += n;
  }
  await f.rpc('evm_setAutomine', [true]);
  const last = await f.rpc('eth_getTransactionReceipt', [await f.rpc('eth_getBlockByNumber', ['latest', false]).then((b) => (b as { transactions: Hex[] }).transactions.at(-1))]) as { status: Hex };
  if (last.status !== '0x1') throw new Error('filler addRecord reverted');
  const chainSeconds = (performance.now() - t0) / 1000;
  const t2 = performance.now();
  await h.waitIndexed();
  log(`chain filler: ${chainCount - start} RecordRegistry.addRecord txs of patient2, ${perBlock} per block, in ${chainSeconds.toFixed(1)} s (${((chainCount - start) / chainSeconds).toFixed(0)} tx/s); gateway indexer caught up in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
}

async function growGateway(target: number): Promise<void> {
  if (gatewayCount >= target) return;
  const t0 = performance.now();
  const start = gatewayCount;
  const envelope = Buffer.from(randomFillSync(new Uint8Array(96))).toString('base64');
  while (gatewayCount < target) {
    const n = Math.min(5000, target - gatewayCount);
    const rows: Array<[string, string]> = [];
    for (let k = 0; k < n; k++) {
      const { cid } = await contentIdOf(randomFillSync(blob));
      const dir = join(blobsDir, cid.slice(-3, -1));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, cid), blob);
      rows.push([newRecordId(), cid]);
    }
    await h.gateway.db.transaction(async (tx) => {
      for (const [recordId] of rows) {
        await tx.query(`INSERT INTO envelopes (record_id, version, recipient, envelope, kind, created_at) VALUES ($1, 1, $2, $3, 'data-key', 0)`, [recordId, fillerPatient.toLowerCase(), envelope]);
      }
    });
    gatewayCount += n;
  }
  // The filler's unsynced gigabytes would otherwise be written back during the rows and stall the
  // access log's WAL fdatasync behind them (seen as p99 > 1 s at 64 clients): flush them first.
  execFileSync('sync');
  log(`gateway filler: ${gatewayCount - start} random ~10 KB ciphertexts written into the blob store layout (no fsync, one sync(1) after) + ${gatewayCount - start} patient-only envelope rows in SQL (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

// Sessions and the sample check: the doctor's read decrypts and matches the chain's integrity hash.
const doctor = await h.client('doctor');
const lab = await h.client('lab');
const auth = (c: typeof doctor) => ({ authorization: `Bearer ${c.sessionToken!}` });
{
  const r = real[readSet >> 1]!;
  const ct = await fetch(`${base}/api/records/${r.recordId}/versions/1/ciphertext`, { headers: auth(doctor) });
  const env = await fetch(`${base}/api/records/${r.recordId}/versions/1/envelope`, { headers: auth(doctor) });
  const ciphertext = new Uint8Array(await ct.arrayBuffer());
  const { envelope } = await env.json() as { envelope: string };
  const opened = await openRecordVersion({
    ciphertext, envelope: new Uint8Array(Buffer.from(envelope, 'base64')), privateKey: h.encryption.doctor.privateKey,
    recordId: r.recordId, version: 1, patient: r.patient, integrityHash: r.integrityHash,
  });
  const resource = JSON.parse(new TextDecoder().decode(opened.plaintext)) as { resourceType: string };
  if (ct.status !== 200 || resource.resourceType !== 'Observation' || opened.integrityVerified !== true) throw new Error('sample read did not decrypt');
  log(`sample check: ${ciphertext.length}-byte ciphertext decrypts to a ${opened.plaintext.length}-byte FHIR ${resource.resourceType}, integrity hash matches the chain`);
  const denied = await fetch(`${base}/api/records/${r.recordId}/versions/1/ciphertext`, { headers: auth(lab) });
  if (denied.status !== 403) throw new Error(`expected 403 for the lab, got ${denied.status}`);
}

// The floor: the same HTTP stack and blob store, no session, authorization or audit.
const peerBlobs = new FsBlobStore(join(h.dataDir, 'blobs'));
const peerApp = new Hono();
peerApp.get('/blob/:cid', async (c) => c.body(await peerBlobs.get(c.req.param('cid')) as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' }));
const peerServer = serve({ fetch: peerApp.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise<void>((ok) => peerServer.once('listening', () => ok()));
const peerAddr = peerServer.address();
const peerOrigin = `http://127.0.0.1:${typeof peerAddr === 'object' && peerAddr ? peerAddr.port : 0}`;

const paths = {
  ciphertext: real.map((r) => `/api/records/${r.recordId}/versions/1/ciphertext`),
  envelope: real.map((r) => `/api/records/${r.recordId}/versions/1/envelope`),
  peer: real.map((r) => `/blob/${r.cid}`),
};

const inspector = new Session();
inspector.connect();
const profiler = (method: string) => new Promise<unknown>((ok, fail) => inspector.post(method, (err, res) => (err ? fail(err) : ok(res))));

const rows: Row[] = [];
const plot: Array<{ records: number; concurrency: string; route: string; p50: number; p99: number; rps: number }> = [];
/**
 * Chain views are memoized per block (src/gateway/chain/access.ts): rows are measured warm — every
 * record of the read set read once in this block — except 'cold', measured right after a new block
 * was mined (the memo starts empty and refills during the row, as after each block on a busy chain).
 */
async function warm(): Promise<void> {
  for (const p of paths.ciphertext) await (await fetch(`${base}${p}`, { headers: auth(doctor) })).arrayBuffer();
}
async function measure(records: number, route: 'ciphertext' | 'cold' | 'envelope' | 'denied' | 'peer', concurrency: number): Promise<void> {
  if (route === 'cold') await f.rpc('evm_mine');
  const cfg: LoadConfig = route === 'peer'
    ? { origin: peerOrigin, paths: paths.peer, headers: {}, concurrency, seconds, warmupSeconds: 1 }
    : { origin: base, paths: route === 'denied' || route === 'cold' ? paths.ciphertext : paths[route], headers: auth(route === 'denied' ? lab : doctor), concurrency, seconds, warmupSeconds: route === 'cold' ? 0 : 1 };
  const profiling = process.env.BENCH_PROFILE && route === 'ciphertext' && concurrency === 16;
  if (profiling) {
    await profiler('Profiler.enable');
    await profiler('Profiler.start');
  }
  const r = await runLoad(cfg);
  if (profiling) {
    const { profile } = await profiler('Profiler.stop') as { profile: unknown };
    writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile));
    console.log(`  cpu profile of the gateway process during this row: ${process.env.BENCH_PROFILE}`);
  }
  const expect = route === 'denied' ? 'non-2xx (403)' : '2xx';
  rows.push({
    records, 'chain records': Math.min(records, chainCount), route: route === 'peer' ? 'peer: same bytes, no auth/audit' : route === 'denied' ? 'denied (no grant, 403)' : route === 'cold' ? 'GET …/ciphertext, new block (cold)' : `GET …/${route}`,
    clients: concurrency, 'req/s': route === 'denied' ? r.non2xx / seconds : r.rps, 'p50 ms': r.p50, 'p99 ms': r.p99, ok: r.ok, 'non-2xx': r.non2xx, errors: r.errors, counted: expect,
  });
  plot.push({ records, concurrency: String(concurrency), route, p50: r.p50, p99: r.p99, rps: route === 'denied' ? r.non2xx / seconds : r.rps });
  const last = rows.at(-1)!;
  console.log(`  ${String(records).padStart(8)}  ${String(last.route).padEnd(34)} c=${String(concurrency).padEnd(3)} ${(last['req/s'] as number).toFixed(0).padStart(6)} req/s  p50 ${Number(r.p50).toFixed(2)} ms  p99 ${Number(r.p99).toFixed(2)} ms  ok ${r.ok} non-2xx ${r.non2xx} errors ${r.errors}`);
}

// Sessions last 15 minutes and growing the store can take longer: sign in afresh before each size.
async function freshSessions(): Promise<void> {
  await doctor.signIn(privateKeyToAccount(f.keys.doctor), { chainId: 31337 });
  await lab.signIn(privateKeyToAccount(f.keys.lab), { chainId: 31337 });
}

for (const size of sizes) {
  await growChain(Math.min(size, chainMax));
  await growGateway(size);
  await freshSessions();
  const full = size === sweepAt;
  await warm();
  for (const c of full ? CONCURRENCY : [16]) await measure(size, 'ciphertext', c);
  await measure(size, 'cold', 16);
  await warm();
  if (full) {
    for (const c of CONCURRENCY) await measure(size, 'envelope', c);
    for (const c of CONCURRENCY) await measure(size, 'denied', c);
    for (const c of CONCURRENCY) await measure(size, 'peer', c);
  } else {
    await measure(size, 'ciphertext', 1);
  }
}

const logged = await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM access_log');
log(`access log: ${logged[0]!.n} entries appended during the run (every allowed and denied read)`);
log(`total bench time ${((performance.now() - t00) / 1000).toFixed(0)} s`);

log('published anchors (other hardware, other work per request, not run here): Blaze ~48,900 single-patient reads/s, p99 4.1 ms on 24 cores; HAPI FHIR ~3,060 and Medplum ~1,420 CRUD requests/s on 8 vCPU. Target here: >= 5,000 authorized reads/s, p99 < 10 ms on 2 cores');
report('gateway', `Gateway authorized reads of a ~10 KB FHIR Observation over HTTP (${seconds} s per row, closed-loop clients)`, rows);
writeFileSync(join(import.meta.dirname, 'results', 'gateway.md'),
  `${(await import('node:fs')).readFileSync(join(import.meta.dirname, 'results', 'gateway.md'), 'utf8')}\n## Seeding\n\n${seeding.map((s) => `- ${s}`).join('\n')}\n`);
{
  const file = join(import.meta.dirname, 'results', 'gateway.json');
  const json = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...json, seeding }, null, 2));
}

await savePlot('gateway', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  hconcat: [
    {
      title: `req/s by clients (${sweepAt.toLocaleString('en')} records)`,
      data: { values: plot.filter((p) => p.records === sweepAt) },
      mark: 'bar',
      encoding: {
        x: { field: 'concurrency', type: 'ordinal', title: 'clients', sort: ['1', '16', '64'] },
        xOffset: { field: 'route' }, y: { field: 'rps', type: 'quantitative', title: 'req/s' }, color: { field: 'route', type: 'nominal' },
      },
    },
    {
      title: 'GET …/ciphertext latency vs records stored',
      data: { values: plot.filter((p) => p.route === 'ciphertext').flatMap((p) => [{ ...p, stat: `p50 c=${p.concurrency}`, ms: p.p50 }, { ...p, stat: `p99 c=${p.concurrency}`, ms: p.p99 }]) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'records', type: 'quantitative', scale: { type: 'log' }, title: 'records stored' },
        y: { field: 'ms', type: 'quantitative', title: 'ms' }, color: { field: 'stat', type: 'nominal' },
      },
    },
  ],
});

peerServer.close();
await h.close();
process.exit(0);
