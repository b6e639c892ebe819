/**
 * Gateway read throughput: authorized reads of a ~10 KB FHIR resource over real HTTP, at 1, 16 and
 * 64 concurrent clients, and how latency changes with the number of records stored.
 *
 * The real gateway (startGateway, through the test harness) on the embedded node (src/chain, what
 * `medchain start` runs, in the gateway's process; `--chain edr` for EDR instead) with the MedChain
 * contracts. Every read is authorized and appended to the access log (SQLite WAL, fdatasync'd
 * before the write is acknowledged) before the response is sent. During every row a background
 * writer keeps the chain sealing about one block per second (one RecordRegistry.addRecord and one
 * Consent.grant of another patient per second), so reads are measured with blocks arriving. Rows:
 *   - ciphertext / envelope: a provider with a live grant (All scope) reads records of a patient;
 *   - denied: a provider without a grant (403, decided and logged like an allowed read);
 *   - peer (floor): the same HTTP stack (Hono on @hono/node-server) serving the same ciphertext
 *     bytes from the same blob store, with no session, authorization or audit;
 *   - grant -> first permitted read: the patient signs a grant, the provider relays it through the
 *     gateway and polls the ciphertext until 200 (p50/p99 over BENCH_TRIALS trials);
 *   - revoke -> first denied read: the patient's signed revocation is relayed; from the moment the
 *     gateway accepted it, the provider polls until 403.
 * eth_calls per authorized read: the eth_call requests the gateway sent to the chain during a row
 * (counted at the provider the gateway is given) divided by the reads answered.
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
 * Run: `npx tsx bench/gateway.ts [--records 10000,100000,1000000] [--chain embedded|edr] [--seconds 5]`
 * (or `npm run bench -- gateway`).
 * Env: BENCH_RECORDS=10000,100000 (store sizes, as --records; add 1000000 for the 1M point, ~10 GB of blobs),
 *      BENCH_CONCURRENCY_AT (size for the full concurrency sweep, default 100000 or the largest
 *      below), BENCH_SECONDS (per row, default 5), BENCH_READ_SET, BENCH_CHAIN_MAX, BENCH_CHAIN,
 *      BENCH_TRIALS (grant/revoke latency trials, default 20).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';
import { encodeFunctionData, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { openRecordVersion, contentIdOf, newRecordId } from '../src/sdk/records.ts';
import { FsBlobStore } from '../src/storage/FsBlobStore.ts';
import { ConsentAbi, Permission, RecordRegistryAbi, ScopeKind, ZERO_SCOPE, grantTypedData, recordCategory, revokeTypedData } from '../src/sdk/contracts.ts';
import { createNode, type MedChainNode } from '../src/chain/node.ts';
import { createEdrProvider, type Eip1193Provider } from '../src/chain/edrProvider.ts';
import { report, savePlot, percentile, type Row } from './lib/report.ts';
import { opaquePurpose } from '../test/purposes.ts';

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

const { values: cli } = parseArgs({ options: { records: { type: 'string' }, chain: { type: 'string' }, seconds: { type: 'string' } } });
const sizes = (cli.records ?? process.env.BENCH_RECORDS ?? '10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0).sort((a, b) => a - b);
const seconds = Number(cli.seconds ?? process.env.BENCH_SECONDS ?? 5);
const chainKind = cli.chain ?? process.env.BENCH_CHAIN ?? 'embedded';
if (chainKind !== 'embedded' && chainKind !== 'edr') throw new Error(`--chain must be embedded or edr, got ${chainKind}`);
const trials = Number(process.env.BENCH_TRIALS ?? 20);
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

/** The chain the gateway is given, counting the eth_calls it sends (the reads' cost in chain calls). */
const ethCalls = { n: 0 };
function counted(provider: Eip1193Provider): Eip1193Provider {
  const request = provider.request.bind(provider);
  const countedRequest = ((args: { method: string }) => { if (args.method === 'eth_call') ethCalls.n++; return request(args as never); }) as typeof request;
  // A proxy, not a bare { request }: the gateway must still see the embedded node's `chain` (its
  // in-process block announcements: the head without a call per request, the indexer woken per
  // block) and `publicRequest`, as under `medchain start`. A bare wrapper made it run as on an
  // external node (one eth_blockNumber per round of requests, the indexer on its poll).
  return new Proxy(provider, { get: (target, key) => (key === 'request' ? countedRequest : Reflect.get(target, key, target) as unknown) });
}
let node: MedChainNode | undefined;
const nodeDir = mkdtempSync(join(tmpdir(), 'medchain-bench-node-'));
const chainProvider = async (accountKeys: Hex[]): Promise<Eip1193Provider> => {
  if (chainKind === 'edr') return counted(await createEdrProvider({ accounts: accountKeys }));
  // As `medchain start` runs it (dev mode for the funded, unlocked bench accounts): blocks are sealed
  // as transactions arrive, so the writer below sets the pace.
  node = await createNode({ dataDir: nodeDir, chainId: 31337, mode: 'dev', devAccounts: accountKeys, blockPeriodMs: 0 });
  return counted(node);
};

const t00 = performance.now();
const h = await gatewayHarness({ fixture: { provider: chainProvider } });
const { f } = h;
const base = h.gateway.url;
const seeding: string[] = [];
const log = (s: string) => { console.log(s); seeding.push(s); };
log(node
  ? 'chain: the embedded node (src/chain) in the gateway\'s process, dev mode (bench accounts funded and unlocked); rows at a 1 s block period, seeding with none'
  : 'chain: EDR in process (automine; seeding one block per batch)');

// A live grant: the patient lets the doctor read everything (All scope) for a day.
const now = await f.latestTimestamp();
await f.mined(f.as('patient').consent.write.grant([{
  grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: `0x${'00'.repeat(32)}`, permissions: Permission.Read, purpose: opaquePurpose('Treatment'),
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
  fillerNonce = await f.publicClient.getTransactionCount({ address: fillerPatient, blockTag: 'pending' });
  // EDR: one block per batch (automine off, evm_mine); the embedded node seals the pool as it fills.
  if (chainKind === 'edr') await f.rpc('evm_setAutomine', [false]);
  while (chainCount < target) {
    const n = Math.min(perBlock, target - chainCount);
    // One block's transactions are sent together (explicit nonces keep their order in the pool).
    const sends: Array<Promise<unknown>> = [];
    for (let k = 0; k < n; k++) {
      const { contentId } = await contentIdOf(randomFillSync(blob));
      const data = encodeFunctionData({ abi: RecordRegistryAbi, functionName: 'addRecord', args: [newRecordId(), fillerPatient, fillerCategory, contentId, newRecordId()] });
      sends.push(f.rpc('eth_sendTransaction', [{ from: fillerPatient, to: f.addresses.recordRegistry, data, gas: `0x${gas.toString(16)}`, nonce: `0x${(fillerNonce++).toString(16)}` }]));
    }
    const hashes = await Promise.all(sends) as Hex[];
    if (chainKind === 'edr') await f.rpc('evm_mine');
    else await f.publicClient.waitForTransactionReceipt({ hash: hashes.at(-1)!, pollingInterval: 20 });
    chainCount += n;
  }
  if (chainKind === 'edr') await f.rpc('evm_setAutomine', [true]);
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

// The background writer: about one block per second, each with a record and a grant of patient2
// (the filler patient), sent while every row runs.
const writer = { running: false, loop: Promise.resolve(), txs: 0, failures: 0 };
function startWriter(): void {
  writer.running = true;
  writer.loop = (async () => {
    while (writer.running) {
      const t = performance.now();
      try {
        const { contentId } = await contentIdOf(randomFillSync(blob));
        const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600);
        const txs = [
          encodeFunctionData({ abi: RecordRegistryAbi, functionName: 'addRecord', args: [newRecordId(), fillerPatient, fillerCategory, contentId, newRecordId()] }),
          encodeFunctionData({ abi: ConsentAbi, functionName: 'grant', args: [{ grantee: f.addr.hospital, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil }] }),
        ];
        const to = [f.addresses.recordRegistry, f.addresses.consent];
        await Promise.all(txs.map((data, i) => f.rpc('eth_sendTransaction', [{ from: fillerPatient, to: to[i], data, gas: '0x1000000', nonce: `0x${(fillerNonce++).toString(16)}` }])));
        writer.txs += txs.length;
      } catch {
        writer.failures++;
        fillerNonce = await f.publicClient.getTransactionCount({ address: fillerPatient, blockTag: 'pending' });
      }
      await new Promise((ok) => setTimeout(ok, Math.max(0, 1000 - (performance.now() - t))));
    }
  })();
}
async function stopWriter(): Promise<void> {
  writer.running = false;
  await writer.loop;
}
/** The embedded node's block period, switched between seeding and the rows (a bench-only write of Chain.blockPeriodMs). */
function setBlockPeriod(ms: number): void {
  if (node) (node.chain as { blockPeriodMs: number }).blockPeriodMs = ms;
}
const blockNumber = async () => Number(await f.publicClient.getBlockNumber({ cacheTime: 0 }));

/**
 * grant -> first permitted read and revoke -> first denied read, through the gateway: the patient
 * signs (EIP-712), the hospital relays the grant / the patient relays the revocation, the hospital
 * polls the ciphertext of one of the patient's records every POLL_MS.
 */
const POLL_MS = 5;
async function consentLatencies(records: number): Promise<void> {
  const hospital = await h.client('hospital');
  const patientKey = privateKeyToAccount(f.keys.patient);
  const target = `${base}/api/records/${real[0]!.recordId}/versions/1/ciphertext`;
  const status = async () => { const r = await fetch(target, { headers: auth(hospital) }); await r.arrayBuffer(); return r.status; };
  const until = async (want: number, timeoutMs: number) => {
    const t0 = performance.now();
    for (;;) {
      if (await status() === want) return performance.now();
      if (performance.now() - t0 > timeoutMs) throw new Error(`no ${want} within ${timeoutMs} ms`);
      await new Promise((ok) => setTimeout(ok, POLL_MS));
    }
  };
  const grantMs: number[] = [];
  const revokeMs: number[] = [];
  for (let i = 0; i < trials; i++) {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const deadline = now + 600n;
    const ctx = { chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, deadline };
    const terms = { grantee: f.addr.hospital, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 3600n };
    let nonce = await f.read.consent.read.nonces([f.addr.patient]);
    const signature = await patientKey.signTypedData(grantTypedData({ ...ctx, nonce, terms }));
    const t0 = performance.now();
    const { grantId } = await hospital.relayGrant({ patient: f.addr.patient, terms, deadline, signature });
    grantMs.push(await until(200, 10_000) - t0);
    nonce = await f.read.consent.read.nonces([f.addr.patient]);
    const rev = await patientKey.signTypedData(revokeTypedData({ ...ctx, nonce, grantId: BigInt(grantId) }));
    await (await h.client('patient')).relayRevoke(grantId, { patient: f.addr.patient, deadline, signature: rev });
    const accepted = performance.now();
    revokeMs.push(await until(403, 10_000) - accepted);
  }
  const row = (route: string, ms: number[], target: string, limit: number) => {
    rows.push({
      records, 'chain records': Math.min(records, chainCount), route, clients: 1, 'req/s': '', 'p50 ms': percentile(ms, 50), 'p99 ms': percentile(ms, 99),
      ok: ms.length, 'non-2xx': '', errors: 0, 'eth_calls/read': '', 'blocks/s': '', target: `${target}: ${percentile(ms, 99) <= limit ? 'met' : 'missed'}`,
    });
    console.log(`  ${String(records).padStart(8)}  ${route.padEnd(34)} p50 ${percentile(ms, 50).toFixed(1)} ms  p99 ${percentile(ms, 99).toFixed(1)} ms (${ms.length} trials)`);
  };
  row('grant -> first permitted read', grantMs, 'p99 <= 1500 ms', 1500);
  row('revoke accepted -> first denied read', revokeMs, 'p99 <= 100 ms', 100);
}

const inspector = new Session();
inspector.connect();
const profiler = (method: string) => new Promise<unknown>((ok, fail) => inspector.post(method, (err, res) => (err ? fail(err) : ok(res))));

const rows: Row[] = [];
const plot: Array<{ records: number; concurrency: string; route: string; p50: number; p99: number; rps: number }> = [];
/** Every record of the read set read once before the rows (blob files in the page cache, sessions warm). */
async function warm(): Promise<void> {
  for (const p of paths.ciphertext) await (await fetch(`${base}${p}`, { headers: auth(doctor) })).arrayBuffer();
}
const peerRps = new Map<string, number>();
async function measure(records: number, route: 'ciphertext' | 'envelope' | 'denied' | 'peer', concurrency: number): Promise<void> {
  const cfg: LoadConfig = route === 'peer'
    ? { origin: peerOrigin, paths: paths.peer, headers: {}, concurrency, seconds, warmupSeconds: 1 }
    : { origin: base, paths: route === 'denied' ? paths.ciphertext : paths[route], headers: auth(route === 'denied' ? lab : doctor), concurrency, seconds, warmupSeconds: 1 };
  const profiling = process.env.BENCH_PROFILE && route === 'ciphertext' && concurrency === 16;
  if (profiling) {
    await profiler('Profiler.enable');
    await profiler('Profiler.start');
  }
  const callsBefore = ethCalls.n;
  const blocksBefore = await blockNumber();
  const r = await runLoad(cfg);
  const calls = ethCalls.n - callsBefore;
  const blocks = (await blockNumber()) - blocksBefore;
  if (profiling) {
    const { profile } = await profiler('Profiler.stop') as { profile: unknown };
    writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile));
    console.log(`  cpu profile of the gateway process during this row: ${process.env.BENCH_PROFILE}`);
  }
  const answered = route === 'denied' ? r.non2xx : r.ok;
  const rps = route === 'denied' ? r.non2xx / seconds : r.rps;
  if (route === 'peer') peerRps.set(`${records}/${concurrency}`, rps);
  rows.push({
    records, 'chain records': Math.min(records, chainCount), route: route === 'peer' ? 'peer: same bytes, no auth/audit' : route === 'denied' ? 'denied (no grant, 403)' : `GET …/${route}`,
    clients: concurrency, 'req/s': rps, 'p50 ms': r.p50, 'p99 ms': r.p99, ok: r.ok, 'non-2xx': r.non2xx, errors: r.errors,
    'eth_calls/read': route === 'peer' ? '-' : (calls / Math.max(1, answered)).toFixed(2),
    'blocks/s': (blocks / (seconds + 1)).toFixed(2),
    target: route === 'ciphertext' && concurrency === 16 ? 'x peer >= 0.8, p99 < 10 ms (vs peer: after the peer row)' : '',
  });
  plot.push({ records, concurrency: String(concurrency), route, p50: r.p50, p99: r.p99, rps });
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
  // During the rows the node seals at most one block per second, as `medchain start` runs it
  // (production mode's default period); seeding above ran with no period (a block per batch).
  setBlockPeriod(1000);
  startWriter();
  for (const c of full ? CONCURRENCY : [1, 16]) await measure(size, 'peer', c);
  for (const c of full ? CONCURRENCY : [1, 16]) await measure(size, 'ciphertext', c);
  if (full) {
    for (const c of CONCURRENCY) await measure(size, 'envelope', c);
    for (const c of CONCURRENCY) await measure(size, 'denied', c);
  }
  await consentLatencies(size);
  await stopWriter();
  setBlockPeriod(0);
}
log(`background writer: ${writer.txs} transactions (RecordRegistry.addRecord + Consent.grant of patient2, ~1 block/s) during the rows, ${writer.failures} failed sends`);

// Targets beside the figures (issue 16). 'before' = the chain-backed access layer of this commit.
const ciphertextRow = (records: number, c: number) => rows.find((r) => r.records === records && r.clients === c && r.route === 'GET …/ciphertext');
for (const r of rows) {
  if (r.route !== 'GET …/ciphertext' || r.clients !== 16) continue;
  const peer = peerRps.get(`${r.records}/16`);
  const ratio = peer ? (r['req/s'] as number) / peer : NaN;
  r.target = `x peer ${ratio.toFixed(2)} (>= 0.8: ${ratio >= 0.8 ? 'met' : 'missed'}); p99 < 10 ms: ${(r['p99 ms'] as number) < 10 ? 'met' : 'missed'}`;
}
const smallest = ciphertextRow(sizes[0]!, 16);
for (const size of sizes.slice(1)) {
  const r = ciphertextRow(size, 16);
  if (r && smallest) r.target = `${String(r.target)}; p50 ${((r['p50 ms'] as number) / (smallest['p50 ms'] as number)).toFixed(2)}x of ${sizes[0]} (<= 1.2: ${(r['p50 ms'] as number) / (smallest['p50 ms'] as number) <= 1.2 ? 'met' : 'missed'})`;
}

const logged = await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM access_log');
log(`access log: ${logged[0]!.n} entries appended during the run (every allowed and denied read)`);
log(`total bench time ${((performance.now() - t00) / 1000).toFixed(0)} s`);

log('published anchors (other hardware, other work per request, not run here): Blaze ~48,900 single-patient reads/s, p99 4.1 ms on 24 cores; HAPI FHIR ~3,060 and Medplum ~1,420 CRUD requests/s on 8 vCPU. Target here: >= 5,000 authorized reads/s, p99 < 10 ms on 2 cores');
log(`chain: ${chainKind === 'embedded' ? 'embedded node (src/chain, dev mode, in the gateway process)' : 'EDR (in process)'}; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
report('gateway', `Gateway authorized reads of a ~10 KB FHIR Observation over HTTP, blocks arriving (${chainKind}; ${seconds} s per row, closed-loop clients)`, rows);
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
await node?.close();
rmSync(nodeDir, { recursive: true, force: true });
process.exit(0);
