/**
 * Records across hospitals: how long after hospital a acknowledges a record (ciphertext uploaded,
 * registered on chain, envelopes deposited) b's provider holds it — ciphertext and key envelope
 * through b's REST API, b fetching both from a by signed peer requests and checking the bytes by
 * CID — and how many bytes the two gateways exchange per record read (the paper's "communication
 * overhead"). Peers in the same run: the same read at a (local), and a second read at b (replica).
 * Two real gateways over real HTTP on one EDR chain, in one process.
 * Run: `npx tsx bench/consortium.ts` (or `npm run bench -- consortium`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { medchainFixture } from '../contracts/test/fixture.ts';
import { generateEncryptionKeyPair } from '../src/crypto/index.ts';
import { startGateway } from '../src/gateway/server.ts';
import { Permission, ScopeKind, ZERO_SCOPE } from '../src/sdk/contracts.ts';
import { GatewayClient } from '../src/sdk/gateway.ts';
import { prepareRecordVersion } from '../src/sdk/records.ts';
import { percentile, report, savePlot, type Row } from './lib/report.ts';
import { opaquePurpose } from '../test/purposes.ts';

process.env.MEDCHAIN_LOG_LEVEL ??= 'error';
const SIZES: Array<[string, number, number]> = [['1 KB', 1024, 40], ['64 KB', 64 * 1024, 30], ['1 MB', 2 ** 20, 10]];

const f = await medchainFixture();
const dir = mkdtempSync(join(tmpdir(), 'medchain-bench-consortium-'));
const enc = { patient: generateEncryptionKeyPair(), doctor: generateEncryptionKeyPair() };
for (const a of ['patient', 'doctor'] as const) await f.mined(f.as(a).identity.write.rotateEncryptionKey([bytesToHex(enc[a].publicKey)]));
for (const op of ['admin2', 'admin3'] as const) await f.mined(f.as('admin').accessLogAnchor.write.setAnchorer([f.addr[op], true]));
const now = await f.latestTimestamp();
await f.mined(f.as('patient').consent.write.grant([{
  grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 86_400n,
}]));

// Two hospitals on fixed ports (each lists the other's URL before either runs).
const ports = { a: 18_000 + Math.floor(Math.random() * 1000), b: 19_000 + Math.floor(Math.random() * 1000) };
const hospitals = [
  { name: 'a', gatewayUrl: `http://127.0.0.1:${ports.a}`, operator: f.addr.admin2 },
  { name: 'b', gatewayUrl: `http://127.0.0.1:${ports.b}`, operator: f.addr.admin3 },
];
const common = { provider: f.provider, chainId: 31337, addresses: f.addresses, pollMs: 50, rateLimitPerMinute: 1_000_000, anchorPeriodSeconds: 3600, webDist: '/nonexistent' };
const a = await startGateway({ ...common, dataDir: join(dir, 'a'), port: ports.a, operatorKey: f.keys.admin2, peers: { self: 'a', hospitals } });
const b = await startGateway({ ...common, dataDir: join(dir, 'b'), port: ports.b, operatorKey: f.keys.admin3, peers: { self: 'b', hospitals } });
const signedIn = async (url: string, key: `0x${string}`) => { const g = new GatewayClient(url); await g.signIn(privateKeyToAccount(key), { chainId: 31337 }); return g; };
const patientAtA = await signedIn(a.url, f.keys.patient);
const doctorAtA = await signedIn(a.url, f.keys.doctor);
const doctorAtB = await signedIn(b.url, f.keys.doctor);

const rows: Row[] = [];
const plot: Array<{ size: string; read: string; ms: number }> = [];
try {
  for (const [label, size, count] of SIZES) {
    const crossMs: number[] = [];
    const localMs: number[] = [];
    const replicaMs: number[] = [];
    let peerBytes = 0;
    let ciphertextBytes = 0;
    let requests = 0;
    for (let i = 0; i < count; i++) {
      const prepared = await prepareRecordVersion({
        plaintext: new Uint8Array(randomBytes(size)), patient: f.addr.patient, resourceType: 'Observation',
        recipients: [{ address: f.addr.patient, publicKey: enc.patient.publicKey }, { address: f.addr.doctor, publicKey: enc.doctor.publicKey }],
      });
      await patientAtA.uploadCiphertext(prepared.ciphertext);
      await f.mined(f.as('patient').recordRegistry.write.addRecord([prepared.recordId, f.addr.patient, prepared.category, prepared.contentId, prepared.integrityHash]));
      await patientAtA.depositEnvelopes(prepared.recordId, 1, prepared.envelopes);
      // Acknowledged at a: from here until b's provider holds ciphertext and envelope.
      const before = { ...b.peers!.traffic };
      const t0 = performance.now();
      await doctorAtB.getCiphertext(prepared.recordId, 1);
      await doctorAtB.getEnvelope(prepared.recordId, 1);
      crossMs.push(performance.now() - t0);
      peerBytes += b.peers!.traffic.bytesSent - before.bytesSent + b.peers!.traffic.bytesReceived - before.bytesReceived;
      requests += b.peers!.traffic.requests - before.requests;
      ciphertextBytes += prepared.ciphertext.length;
      const t1 = performance.now();
      await doctorAtB.getCiphertext(prepared.recordId, 1);
      await doctorAtB.getEnvelope(prepared.recordId, 1);
      replicaMs.push(performance.now() - t1);
      const t2 = performance.now();
      await doctorAtA.getCiphertext(prepared.recordId, 1);
      await doctorAtA.getEnvelope(prepared.recordId, 1);
      localMs.push(performance.now() - t2);
    }
    const perRead = peerBytes / count;
    rows.push({
      record: label, n: count,
      'a→b readable p50 ms': percentile(crossMs, 50), 'a→b readable p99 ms': percentile(crossMs, 99),
      'b replica p50 ms': percentile(replicaMs, 50), 'a local p50 ms': percentile(localMs, 50),
      'peer requests/read': requests / count, 'peer bytes/read': Math.round(perRead), 'overhead bytes/read': Math.round(perRead - ciphertextBytes / count),
    });
    for (const [read, values] of [['a→b (fetched from a)', crossMs], ['b (replica)', replicaMs], ['a (local)', localMs]] as const) {
      for (const ms of values) plot.push({ size: label, read, ms });
    }
  }
} finally {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
}
report('consortium', 'A record written at hospital a, read at hospital b: time until readable and bytes between gateways per read (vs local and replica reads, same run)', rows);
await savePlot('consortium', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Ciphertext + envelope read latency by where the bytes are (ms, log scale)',
  data: { values: plot },
  mark: { type: 'boxplot', extent: 'min-max' },
  encoding: {
    x: { field: 'read', type: 'nominal', title: null, axis: { labelAngle: -20 } },
    y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
    column: { field: 'size', type: 'nominal', sort: ['1 KB', '64 KB', '1 MB'] },
  },
});
process.exit(0);
