/**
 * The crypto module in a real browser: bundled with esbuild, served over real HTTP from 127.0.0.1,
 * run in Debian's Chromium through playwright-core. Node and Chromium exchange sealed records,
 * streams, envelopes, escrow shares and keystores in both directions and must agree on every
 * deterministic value.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import {
  decryptKeystore, escrowDataKey, fromHex, generateEncryptionKeyPair, openRecord, openStream, sealRecord, sealStream,
  toHex, unwrapDataKey, wrapDataKey, generateDataKey,
} from '../../src/crypto/index.ts';
import { browserSide, deterministic, type BrowserArtifacts, type NodeArtifacts } from './cryptoVectors.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: Server;
let browser: Browser;
let origin: string;

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(value);
  }
}
const streamOf = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'cryptoVectors.ts')], bundle: true, write: false, format: 'iife',
    globalName: 'MedchainVectors', platform: 'browser', target: 'chrome120', logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  assert.ok(!/require\(["']node:|from ["']node:/.test(js), 'browser bundle must not reference node: modules');
  server = createServer((req, res) => {
    if (req.url === '/crypto.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>crypto vectors</title><script src="/crypto.js"></script>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it('Node and Chromium interoperate on every crypto format and agree on all vectors', { timeout: 60_000 }, async () => {
  const binding = { recordId: '0x' + 'cd'.repeat(32), version: 2, patient: '0x' + '77'.repeat(20) };
  const recipient = generateEncryptionKeyPair();
  const plaintext = new TextEncoder().encode('{"resourceType":"Observation","valueQuantity":{"value":7.2}}');
  const sealed = await sealRecord(plaintext, binding);
  const streamPlain = new Uint8Array(50_000).map((_, i) => i * 31);
  const s = sealStream(binding, { chunkSize: 8192 });
  const sealedStream = await collect(streamOf(streamPlain).pipeThrough(s));
  const custodians = [0, 1, 2].map(() => generateEncryptionKeyPair());
  const escrowKey = generateDataKey();
  const bundle = await escrowDataKey(escrowKey, binding, custodians.map((c, i) => ({ id: `c${i}`, publicKey: c.publicKey })), 2);
  const tamperedCt = sealed.ciphertext.slice(); tamperedCt[20]! ^= 0x80;
  const tamperedStream = sealedStream.subarray(0, sealedStream.length - 8192 - 16 + 100);

  const artifacts: NodeArtifacts = {
    binding,
    fixed: {
      salt: toHex(new Uint8Array(32).fill(3)), plaintext: toHex(plaintext), blindKey: toHex(new Uint8Array(32).fill(5)),
      x25519Private: toHex(new Uint8Array(32).fill(9)), secpPrivate: '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d',
    },
    keystores: [
      { passphrase: 'foo', json: { version: 3, id: 'fecfc4ce-e956-48fd-953b-30f8b52ed66c', crypto: { cipher: 'aes-128-ctr', cipherparams: { iv: 'e0c41130a323adc1446fc82f724bca2f' }, ciphertext: '9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984', kdf: 'scrypt', kdfparams: { dklen: 32, n: 2, r: 8, p: 1, salt: '711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63' }, mac: 'd5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5' } } },
      { passphrase: 'testpassword', json: { version: 3, id: '3198bc9c-6672-5ab3-d995-4942343ae5b6', crypto: { cipher: 'aes-128-ctr', cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' }, ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46', kdf: 'pbkdf2', kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' }, mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2' } } },
    ],
    record: { ciphertext: toHex(sealed.ciphertext), envelope: toHex(await wrapDataKey(sealed.dataKey, recipient.publicKey, binding)), recipientPrivate: toHex(recipient.privateKey) },
    stream: { sealed: toHex(sealedStream), envelope: toHex(await wrapDataKey(s.dataKey, recipient.publicKey, binding)) },
    escrow: {
      threshold: 2, commitment: toHex(bundle.commitment),
      shares: [0, 2].map((i) => ({ index: i, envelope: toHex(bundle.shares[i]!.envelope), custodianPrivate: toHex(custodians[i]!.privateKey) })),
    },
    tampered: { ciphertext: toHex(tamperedCt), stream: toHex(tamperedStream) },
  };

  const page = await browser.newPage();
  try {
    await page.goto(origin);
    const result = await page.evaluate(async (input) => {
      const w = globalThis as unknown as { MedchainVectors: { browserSide: typeof browserSide } };
      return w.MedchainVectors.browserSide(input);
    }, artifacts) as BrowserArtifacts;

    assert.match(result.userAgent, /Chrome\//);
    // Same deterministic values in both runtimes.
    const nodeValues = await deterministic(artifacts);
    assert.deepEqual(result.deterministic, nodeValues);
    assert.equal(nodeValues.keystore0, '0x00fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35');
    assert.equal(nodeValues.keystore1, artifacts.fixed.secpPrivate);
    // Chromium opened what Node sealed.
    assert.equal(result.openedRecord, toHex(plaintext));
    assert.equal(result.openedStream, toHex(streamPlain));
    assert.equal(result.streamIntegrity, await s.integrityHash);
    assert.equal(result.escrowKey, toHex(escrowKey));
    assert.equal(result.tamperErrors.length, 3);
    for (const e of result.tamperErrors) assert.match(e, /^DecryptionError: /);

    // Node opens what Chromium sealed.
    const nodePrivate = fromHex(artifacts.fixed.x25519Private);
    const key = await unwrapDataKey(fromHex(result.back.envelope), nodePrivate, binding);
    const opened = await openRecord(fromHex(result.back.ciphertext), key, binding);
    assert.equal(new TextDecoder().decode(opened.plaintext), 'sealed in Chromium');
    const skey = await unwrapDataKey(fromHex(result.back.streamEnvelope), nodePrivate, binding);
    const o = openStream(skey, binding);
    assert.ok(Buffer.from(await collect(streamOf(fromHex(result.back.sealedStream)).pipeThrough(o))).equals(Buffer.alloc(20000, 7)));
    assert.match((await o.result).integrityHash, /^0x[0-9a-f]{64}$/);
    assert.equal(toHex((await decryptKeystore(result.back.keystore, result.back.passphrase)).privateKey), artifacts.fixed.secpPrivate);
  } finally {
    await page.close();
  }
});
