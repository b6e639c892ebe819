/**
 * A consortium on loopback: three hospital gateways (a, b, c), each started by `medchain start
 * --consortium` with its own data directory, SQL index, blob store, operator and custodian keys,
 * on one shared chain (the embedded node stands in for the consortium's Besu network). a and b run
 * in this process (startHospital, the command's code); c runs as a real `medchain start` child
 * process that is killed with SIGKILL and restarted.
 *
 * A patient writes at a; b's provider reads through b's REST and FHIR APIs within the grant's
 * window (b fetches ciphertext and envelope from a by signed peer requests, checks the bytes by
 * CID, decides from chain state, logs and anchors the access) and is refused after it; an auditor
 * verifies b's anchored entry against the chain. Peer requests that are unsigned, signed by a
 * stranger, stale, for another hospital or replayed are refused and reveal and change nothing; a
 * peer serving wrong bytes is caught by CID. With a offline, what b replicated stays readable and
 * what it did not is a 503 naming a. Break-glass at c opens the data key only with shares from two
 * hospitals' custodians (2 of 3), each checking the break-glass on chain itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  bytesToHex, createPublicClient, createWalletClient, custom, defineChain, encodeFunctionData, hexToBytes, keccak256, toHex,
  type Address, type Hex, type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNode } from '../../src/chain/node.ts';
import { encryptKeystore, generateEncryptionKeyPair } from '../../src/crypto/index.ts';
import { verifyInclusion, type InclusionProof } from '../../src/sdk/auditProof.ts';
import { createCustodianKeystore } from '../../src/cli/roleKeys.ts';
import { newBundle, writeKeyBundle } from '../../src/cli/keyFile.ts';
import { startHospital } from '../../src/cli/startHospital.ts';
import { newCustodianKey } from '../../src/keys/keyRing.ts';
import { signPeerRequest } from '../../src/gateway/peers/peerRequest.ts';
import { startGateway } from '../../src/gateway/server.ts';
import {
  AccessLogAnchorAbi, deployMedChain, IdentityAbi, medChainContracts, Permission, ProviderKind, ScopeKind, ZERO_SCOPE,
} from '../../src/sdk/contracts.ts';
import { GatewayClient, GatewayError } from '../../src/sdk/gateway.ts';
import { openEscrowedRecordVersion, openRecordVersion, prepareRecordVersion } from '../../src/sdk/records.ts';
import { exited, startMedchain, type Started } from '../cli/cliHarness.ts';
import { opaquePurpose } from '../purposes.ts';

process.env.MEDCHAIN_LOG_LEVEL ??= 'error';
const PASS = 'consortium test passphrase';
const CHAIN_ID = 4242;

const freePort = () => new Promise<number>((ok) => {
  const s = createNetServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => ok(port)); });
});
const random32 = () => keccak256(toHex(`${Math.random()}-${Date.now()}`));

test('consortium: records cross hospitals, peer requests are authenticated, break-glass needs k of n hospitals, a killed gateway catches up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-consortium-'));
  const keys = Object.fromEntries(['admin', 'patient', 'docB', 'docC', 'auditor', 'opA', 'opB', 'opC', 'stranger'].map((n) => [n, generatePrivateKey()])) as Record<string, Hex>;
  const addr = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, privateKeyToAccount(k).address])) as Record<string, Address>;
  const enc = { patient: generateEncryptionKeyPair(), docB: generateEncryptionKeyPair(), docC: generateEncryptionKeyPair() };

  const node = await createNode({ dataDir: join(dir, 'chain'), chainId: CHAIN_ID, mode: 'dev', devAccounts: Object.values(keys) });
  const rpc = await node.listen({ port: 0 });
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const chain = defineChain({ id: CHAIN_ID, name: 'consortium', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [rpc.httpUrl] } } });
    const transport = custom(node, { retryCount: 0 });
    const client = createPublicClient({ chain, transport }) as PublicClient;
    const as = (who: string) => medChainContracts(createWalletClient({ account: privateKeyToAccount(keys[who]!), chain, transport }), addresses);
    const mined = async (hash: Promise<Hex>) => {
      const r = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
      assert.equal(r.status, 'success');
      return r;
    };
    const latest = async () => (await client.getBlock({ blockTag: 'latest' })).timestamp;
    const mineAt = (ts: bigint) => node.request({ method: 'evm_mine', params: [Number(ts)] } as never);

    // The chain: contracts, the three operators as anchorers, a patient, two providers, an auditor.
    const addresses = await deployMedChain(createWalletClient({ account: privateKeyToAccount(keys.admin!), chain, transport }), client);
    for (const op of ['opA', 'opB', 'opC']) await mined(as('admin').accessLogAnchor.write.setAnchorer([addr[op]!, true]));
    await mined(as('patient').identity.write.registerPatient([bytesToHex(enc.patient.publicKey), random32()]));
    for (const [doc, kind] of [['docB', ProviderKind.Doctor], ['docC', ProviderKind.Hospital]] as const) {
      await mined(as(doc).identity.write.applyAsProvider([kind, bytesToHex(enc[doc].publicKey), random32()]));
      await mined(as('admin').identity.write.approve([addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [addr[doc]!] })]));
    }
    await mined(as('admin').identity.write.approve([addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'setAuditor', args: [addr.auditor!, true] })]));

    // What `consortium init` hands each hospital: consortium.json and <out>/<name>/{operator,custodian}.json.
    const out = join(dir, 'consortium');
    const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
    const custodians = { a: newCustodianKey(), b: newCustodianKey(), c: newCustodianKey() };
    const hospitals = (['a', 'b', 'c'] as const).map((name) => ({
      name, gatewayUrl: `http://127.0.0.1:${ports[name]}`, rpcUrl: rpc.httpUrl, validator: privateKeyToAccount(generatePrivateKey()).address,
      operator: addr[`op${name.toUpperCase()}`]!, custodianPublicKey: bytesToHex(custodians[name].publicKey), enode: `enode://${'0'.repeat(128)}@127.0.0.1:30303`,
    }));
    for (const h of hospitals) {
      mkdirSync(join(out, h.name), { recursive: true });
      const operatorKey = keys[`op${h.name.toUpperCase()}`]!;
      writeFileSync(join(out, h.name, 'operator.json'), JSON.stringify(await encryptKeystore(hexToBytes(operatorKey), PASS, { scryptN: 1024 })));
      await createCustodianKeystore(join(out, h.name, 'custodian.json'), 0, custodians[h.name as 'a'], PASS, { scryptN: 1024 });
    }
    const file = join(out, 'consortium.json');
    writeFileSync(file, JSON.stringify({
      version: 1, name: 'loopback', chainId: CHAIN_ID,
      engine: { kind: 'besu-qbft', besuVersion: '25.10.0', blockPeriodSeconds: 2, requestTimeoutSeconds: 4, epochLength: 30000 },
      contracts: addresses, validatorContract: addresses.incentives, hospitals, escrowThreshold: 2,
    }, null, 2));
    // b holds its provider's key (an EHR integration): its FHIR API decrypts for it.
    const dirs = { a: join(dir, 'a'), b: join(dir, 'b'), c: join(dir, 'c') };
    mkdirSync(join(dirs.b, 'custodial'), { recursive: true });
    writeKeyBundle(join(dirs.b, 'custodial', 'docb.json'), await newBundle(hexToBytes(keys.docB!), PASS, 1024, enc.docB.privateKey));

    process.env.MEDCHAIN_CONSORTIUM_PASSPHRASE = PASS;
    const quiet = () => undefined;
    const startIn = (name: 'a' | 'b') => startHospital({ file, hospital: name, dataDir: dirs[name], host: '127.0.0.1' }, quiet);
    let a = await startIn('a');
    cleanup.push(() => a.stop());
    const b = await startIn('b');
    cleanup.push(() => b.stop());
    const startC = () => startMedchain(['--data-dir', dirs.c, '--consortium', file, '--hospital', 'c'], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASS });
    let c: Started = await startC();
    cleanup.push(async () => { c.child.kill('SIGKILL'); await exited(c.child); });
    assert.equal(c.url, hospitals[2]!.gatewayUrl);

    const signedIn = async (url: string, who: string) => {
      const g = new GatewayClient(url);
      await g.signIn(privateKeyToAccount(keys[who]!), { chainId: CHAIN_ID });
      return g;
    };

    // The patient writes two records at a, escrowed k-of-n across the three hospitals' custodians.
    const patientAtA = await signedIn(a.gateway.url, 'patient');
    const policy = await patientAtA.escrowConfig();
    assert.equal(policy.threshold, 2);
    assert.equal(policy.custodians.length, 3);
    const resource = (text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: `Patient/${addr.patient}` }, valueQuantity: { value: 6.1, unit: '%' } });
    async function write(text: string) {
      const prepared = await prepareRecordVersion({
        plaintext: new TextEncoder().encode(JSON.stringify(resource(text))), patient: addr.patient!, resourceType: 'Observation',
        recipients: [{ address: addr.patient!, publicKey: enc.patient.publicKey }, { address: addr.docB!, publicKey: enc.docB.publicKey }], escrow: policy,
      });
      await patientAtA.uploadCiphertext(prepared.ciphertext);
      await mined(as('patient').recordRegistry.write.addRecord([prepared.recordId, addr.patient!, prepared.category, prepared.contentId, prepared.integrityHash]));
      await patientAtA.depositEnvelopes(prepared.recordId, 1, prepared.envelopes, undefined, prepared.escrow);
      return prepared;
    }
    const rec1 = await write('HbA1c');
    const rec2 = await write('LDL');
    const windowEnd = (await latest()) + 600n;
    await mined(as('patient').consent.write.grant([{
      grantee: addr.docB!, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: windowEnd,
    }]));

    // b's provider reads rec1 through b's REST API: b fetches from a, checks by CID, decides, logs.
    const docB = await signedIn(b.gateway.url, 'docB');
    const open = async (g: GatewayClient, p: typeof rec1) => {
      const opened = await openRecordVersion({
        ciphertext: await g.getCiphertext(p.recordId, 1), envelope: (await g.getEnvelope(p.recordId, 1)).envelope, privateKey: enc.docB.privateKey,
        recordId: p.recordId, version: 1, patient: addr.patient!, integrityHash: p.integrityHash,
      });
      assert.equal(opened.integrityVerified, true);
      return JSON.parse(new TextDecoder().decode(opened.plaintext)) as ReturnType<typeof resource>;
    };
    assert.deepEqual(await open(docB, rec1), resource('HbA1c'));
    const traffic = b.gateway.peers!.traffic;
    assert.ok(traffic.bytesReceived >= rec1.ciphertext.length, `b received ${traffic.bytesReceived} bytes from peers`);
    assert.equal(traffic.integrityFailures, 0);
    // … and through b's FHIR API (b holds docB's key as a custodial account).
    const fhir = await fetch(`${b.gateway.url}/fhir/Observation/${rec1.recordId.slice(2)}`, { headers: { authorization: `Bearer ${docB.sessionToken}`, accept: 'application/fhir+json' } });
    assert.equal(fhir.status, 200);
    const fhirBody = await fhir.json() as { code: { text: string } };
    assert.equal(fhirBody.code.text, 'HbA1c');
    // b logged the reads in its own trail; a logged that it served b.
    const bLog = await b.gateway.accessLog.entries({ patient: addr.patient!, limit: 100 });
    assert.ok(bLog.some((e) => e.actor === addr.docB!.toLowerCase() && e.action === 'read' && e.outcome === 'allowed'));
    const aLog = await a.gateway.accessLog.entries({ patient: addr.patient!, limit: 100 });
    assert.ok(aLog.some((e) => e.action === 'peer-ciphertext' && e.outcome === 'allowed' && /hospital b/.test(e.reason)));
    assert.ok(aLog.some((e) => e.action === 'peer-envelope' && e.outcome === 'allowed'));

    // An auditor verifies b's anchored entry against the root b's operator anchored on chain.
    await b.gateway.accessLog.closePeriod();
    await b.gateway.accessLog.anchorPending();
    const auditor = await signedIn(b.gateway.url, 'auditor');
    const readEntry = (await auditor.audit({ actor: addr.docB!, limit: 100 })).entries.find((e) => e.action === 'read' && e.outcome === 'allowed')!;
    const proofResponse = await fetch(`${b.gateway.url}/api/audit/${readEntry.seq}/proof`, { headers: { authorization: `Bearer ${auditor.sessionToken}` } });
    assert.equal(proofResponse.status, 200);
    const proof = await proofResponse.json() as InclusionProof & { periodId: number; gateway: Address };
    assert.equal(proof.gateway.toLowerCase(), addr.opB!.toLowerCase());
    const anchor = await client.readContract({ address: addresses.accessLogAnchor, abi: AccessLogAnchorAbi, functionName: 'getAnchor', args: [addr.opB!, BigInt(proof.periodId)] });
    assert.ok(verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount }), 'b\'s access is in the root anchored on chain');

    // Peer requests to a: only a consortium operator's fresh, correctly targeted signature is served, once.
    const cid = (await docB.getRecord(rec1.recordId)).versions[0]!.cid!;
    const path = `/peer/v1/records/${rec1.recordId}/versions/1/ciphertext?cid=${cid}&reader=${addr.docB}`;
    const peerGet = async (p: string, headers: Record<string, string> = {}) => {
      const r = await fetch(`${a.gateway.url}${p}`, { headers });
      return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
    };
    const sign = (who: string, fields: { to?: string; path?: string; timestamp?: number } = {}) =>
      signPeerRequest(privateKeyToAccount(keys[who]!), { chainId: CHAIN_ID, to: fields.to ?? 'a', method: 'GET', path: fields.path ?? path, cid, timestamp: fields.timestamp });
    const aEntries = async () => a.gateway.accessLog.count({ patient: addr.patient! });
    const before = await aEntries();
    const refusals: Array<[string, Record<string, string>, RegExp]> = [
      ['unsigned', {}, /sign the request/],
      ['stranger-signed', await sign('stranger'), /not the operator of another hospital/],
      ['signed for hospital c', await sign('opB', { to: 'c' }), /does not match the request/],
      ['signed for another path', await sign('opB', { path: path.replace('reader=', 'reader=0x') }), /does not match the request/],
      ['stale', await sign('opB', { timestamp: Math.floor(Date.now() / 1000) - 3600 }), /timestamp outside/],
      ['a\'s own operator', await sign('opA'), /not the operator of another hospital/],
    ];
    const unsignedOther = await peerGet(path.replace(rec1.recordId, random32()));
    for (const [what, headers, message] of refusals) {
      const r = await peerGet(path, headers);
      assert.equal(r.status, 401, what);
      const text = new TextDecoder().decode(r.body);
      assert.match(text, message, what);
      assert.ok(r.body.length < 400 && !text.includes(cid), `${what}: the refusal reveals nothing`);
    }
    // Refusals look the same whether or not the record exists.
    assert.deepEqual((await peerGet(path)).body, unsignedOther.body);
    const good = await sign('opB');
    const served = await peerGet(path, good);
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, rec1.ciphertext);
    const replayed = await peerGet(path, good);
    assert.equal(replayed.status, 401);
    assert.match(new TextDecoder().decode(replayed.body), /nonce already used/);
    assert.equal(await aEntries(), before + 1, 'refused requests changed nothing in a\'s access log (only the one served request was logged)');
    // Bad input under a valid signature: a 400 naming the field, nothing logged.
    const badPath = path.replace(`reader=${addr.docB}`, 'reader=nobody');
    const bad = await peerGet(badPath, await sign('opB', { path: badPath }));
    assert.equal(bad.status, 400);
    assert.match(new TextDecoder().decode(bad.body), /address/);
    // A hospital whose operator an admin unregistered on chain is refused, whatever consortium.json says.
    await mined(as('admin').accessLogAnchor.write.setAnchorer([addr.opB!, false]));
    const removed = await peerGet(path, await sign('opB'));
    assert.equal(removed.status, 401);
    assert.match(new TextDecoder().decode(removed.body), /b's operator is not a registered anchorer on chain/);
    await mined(as('admin').accessLogAnchor.write.setAnchorer([addr.opB!, true]));
    assert.equal(await aEntries(), before + 1, 'neither changed a\'s access log');
    // A signed request for a reader the chain gives no access is refused by a's own decision.
    const noAccessPath = path.replace(`reader=${addr.docB}`, `reader=${addr.stranger}`);
    assert.equal((await peerGet(noAccessPath, await sign('opB', { path: noAccessPath }))).status, 403);

    // A peer serving other bytes is caught by CID: nothing stored, the reader gets a 503 naming it.
    // The rogue peer: flipped ciphertext bits, and an escrow bundle with a share of random bytes for custodian `evilCustodian`.
    const evilCustodian = newCustodianKey();
    const evil: Server = createServer((req, res) => {
      if (req.url?.includes('/escrow')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ threshold: 2, commitment: Buffer.alloc(32).toString('base64'), shares: [{ custodian: evilCustodian.id, index: 0, envelope: Buffer.alloc(120, 7).toString('base64') }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from(rec1.ciphertext.map((x) => x ^ 1)));
    });
    await new Promise<void>((ok) => evil.listen(0, '127.0.0.1', ok));
    cleanup.push(() => new Promise((ok) => evil.close(ok)));
    const rogue = () => startGateway({
      dataDir: join(dir, 'd'), rpcUrl: rpc.httpUrl, chainId: CHAIN_ID, addresses, operatorKey: keys.opB!, port: 0, pollMs: 100, escrow: { custodianKeys: [evilCustodian] },
      peers: { self: 'd', hospitals: [{ name: 'evil', gatewayUrl: `http://127.0.0.1:${(evil.address() as { port: number }).port}`, operator: addr.stranger! }] },
    });
    const d = await rogue();
    try {
      const docBAtD = await signedIn(d.url, 'docB');
      await assert.rejects(docBAtD.getCiphertext(rec1.recordId, 1), (e: GatewayError) => e.status === 503 && /evil served bytes that do not match the content id/.test(e.message));
      assert.equal(d.peers!.traffic.integrityFailures, 1);
      assert.equal((await d.db.query('SELECT * FROM peer_replicas')).length, 0);
    } finally {
      await d.close();
    }

    // a offline: b serves what it replicated; for what it did not, a 503 naming a.
    await a.stop();
    assert.deepEqual(await open(docB, rec1), resource('HbA1c'));
    await assert.rejects(docB.getCiphertext(rec2.recordId, 1), (e: GatewayError) => e.status === 503 && /hospital a\b/.test(e.message));
    a = await startIn('a');
    assert.deepEqual(await open(docB, rec2), resource('LDL'));

    // c is killed with SIGKILL while events keep coming, restarted, and catches up: every event exactly once.
    const grantTerms = (i: number) => ({
      grantee: addr.docB!, scopeKind: ScopeKind.Category, scopeValue: rec1.category, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: windowEnd - BigInt(i),
    });
    for (let i = 0; i < 3; i++) await mined(as('patient').consent.write.grant([grantTerms(i)]));
    c.child.kill('SIGKILL');
    await exited(c.child);
    for (let i = 3; i < 6; i++) await mined(as('patient').consent.write.grant([grantTerms(i)]));
    c = await startC();
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const cDb = new BetterSqlite3(join(dirs.c, 'gateway', 'gateway.sqlite'), { readonly: true });
    try {
      const deadline = Date.now() + 20_000;
      const cursor = () => Number((cDb.prepare('SELECT next_block FROM indexer_cursor').get() as { next_block: number } | undefined)?.next_block ?? 0);
      while (cursor() <= Number(head) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const contracts = [addresses.identity, addresses.consent, addresses.recordRegistry, addresses.incentives, addresses.accessLogAnchor];
      const logs = await client.getLogs({ address: contracts, fromBlock: 0n, toBlock: head });
      const rows = cDb.prepare('SELECT tx_hash, log_index FROM chain_events WHERE block_number <= ?').all(Number(head)) as Array<{ tx_hash: string; log_index: number }>;
      const key = (h: string, i: number) => `${h.toLowerCase()}:${i}`;
      assert.equal(rows.length, logs.length, 'each event once');
      assert.deepEqual(new Set(rows.map((r) => key(r.tx_hash, r.log_index))), new Set(logs.map((l) => key(l.transactionHash, l.logIndex))), 'the same events');
      assert.equal((cDb.prepare('SELECT COUNT(*) AS n FROM grants').get() as { n: number }).n, 7);
    } finally {
      cDb.close();
    }

    // The window ends: b refuses its provider on REST and FHIR, and its sweep drops the cached envelopes.
    await mineAt(windowEnd + 1n);
    await assert.rejects(docB.getCiphertext(rec1.recordId, 1), (e: GatewayError) => e.status === 403);
    await assert.rejects(docB.getEnvelope(rec1.recordId, 1), (e: GatewayError) => e.status === 403);
    const fhirAfter = await fetch(`${b.gateway.url}/fhir/Observation/${rec1.recordId.slice(2)}`, { headers: { authorization: `Bearer ${docB.sessionToken}`, accept: 'application/fhir+json' } });
    assert.equal(fhirAfter.status, 403);
    assert.equal((await fhirAfter.json() as { resourceType: string }).resourceType, 'OperationOutcome');
    assert.ok(await b.gateway.sweepEnvelopes() >= 2);

    // Break-glass at c: each hospital's custodian releases its own share only after reading a live
    // break-glass on chain itself; one hospital's share (a's included, where the record was written) opens nothing.
    const atC = await signedIn(c.url, 'docC');
    const atB = await signedIn(b.gateway.url, 'docC');
    const atA = await signedIn(a.gateway.url, 'docC');
    await assert.rejects(atC.releaseEscrow(rec1.recordId, 1), (e: GatewayError) => e.status === 403);
    await mined(as('docC').consent.write.openEmergencyAccess([addr.patient!, random32()]));
    const fromC = await atC.releaseEscrow(rec1.recordId, 1);
    const fromA = await atA.releaseEscrow(rec1.recordId, 1);
    assert.equal(fromC.shares.length, 1);
    assert.equal(fromA.shares.length, 1);
    const ciphertext = await atC.getCiphertext(rec1.recordId, 1);
    const openWith = (shares: typeof fromC.shares) => openEscrowedRecordVersion({
      ciphertext, escrow: fromC, released: shares, privateKey: enc.docC.privateKey, recordId: rec1.recordId, version: 1, patient: addr.patient!, integrityHash: rec1.integrityHash,
    });
    await assert.rejects(openWith(fromC.shares), /need 2 released shares/);
    await assert.rejects(openWith(fromA.shares), /need 2 released shares/);
    const fromB = await atB.releaseEscrow(rec1.recordId, 1);
    const opened = await openWith([...fromC.shares, ...fromB.shares]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), resource('HbA1c'));
    // A bundle from a rogue peer that the custodian's key does not open: a clear 503, nothing kept.
    const d2 = await rogue();
    try {
      await assert.rejects((await signedIn(d2.url, 'docC')).releaseEscrow(rec1.recordId, 1), (e: GatewayError) => e.status === 503 && /does not open with this hospital's custodian key/.test(e.message));
      assert.equal((await d2.db.query('SELECT * FROM escrow_shares')).length, 0);
    } finally {
      await d2.close();
    }
    // Break-glass over: no custodian releases.
    await mineAt((await latest()) + 4n * 3600n);
    await assert.rejects(atB.releaseEscrow(rec1.recordId, 1), (e: GatewayError) => e.status === 403);

    // Erasure on chain shreds b's replica too (b's shredder follows RecordErased like a's).
    await mined(as('patient').recordRegistry.write.eraseRecord([rec1.recordId]));
    await b.gateway.indexer.waitFor(await client.getBlockNumber({ cacheTime: 0 }));
    await b.gateway.shredPending();
    const [job] = await b.gateway.db.query<{ status: string; ciphertexts_destroyed: number | string; escrow_shares_destroyed: number | string }>(
      'SELECT status, ciphertexts_destroyed, escrow_shares_destroyed FROM shred_jobs WHERE record_id = $1', [rec1.recordId.toLowerCase()]);
    assert.equal(job?.status, 'done');
    assert.equal(Number(job?.ciphertexts_destroyed), 1, 'b destroyed its replica');
    assert.equal(Number(job?.escrow_shares_destroyed), 3, 'and the escrow bundle it had fetched');
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await rpc.close();
    await node.close();
    delete process.env.MEDCHAIN_CONSORTIUM_PASSPHRASE;
    rmSync(dir, { recursive: true, force: true });
  }
});
