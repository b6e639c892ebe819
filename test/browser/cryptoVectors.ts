/**
 * Cross-runtime vectors for the crypto module. `browserSide` is bundled with esbuild and run in
 * Chromium by crypto.browser.test.ts; it opens what Node sealed, seals what Node will open, and
 * computes the deterministic values (hashes, tokens, public keys, keystores) for comparison.
 * All values cross the boundary as hex strings.
 */
import {
  accountAddress, blindIndexToken, codeTerm, decryptKeystore, encryptionPublicKey, fromHex,
  integrityHash, openRecord, openStream, recoverEscrowedDataKey, sealRecord, sealStream, toHex, unwrapDataKey, wrapDataKey,
  releaseEscrowShare, encryptKeystore, type RecordBinding, type KeystoreV3,
} from '../../src/crypto/index.ts';

export interface NodeArtifacts {
  binding: RecordBinding;
  fixed: { salt: string; plaintext: string; blindKey: string; x25519Private: string; secpPrivate: string };
  keystores: Array<{ json: unknown; passphrase: string }>;
  record: { ciphertext: string; envelope: string; recipientPrivate: string };
  stream: { sealed: string; envelope: string };
  escrow: { threshold: number; commitment: string; shares: Array<{ index: number; envelope: string; custodianPrivate: string }> };
  tampered: { ciphertext: string; stream: string };
}

export interface BrowserArtifacts {
  userAgent: string;
  deterministic: Record<string, string>;
  openedRecord: string;
  openedStream: string;
  streamIntegrity: string;
  escrowKey: string;
  tamperErrors: string[];
  /** Sealed in the browser, for Node to open. */
  back: { ciphertext: string; envelope: string; integrityHash: string; sealedStream: string; streamEnvelope: string; keystore: KeystoreV3; passphrase: string };
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const streamOf = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({ start(c) { for (let i = 0; i < bytes.length; i += 5000) c.enqueue(bytes.slice(i, i + 5000)); c.close(); } });

/** Deterministic values, computed identically on both sides. */
export async function deterministic(a: NodeArtifacts): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const pt = fromHex(a.fixed.plaintext);
  out.integrityHash = integrityHash(pt, fromHex(a.fixed.salt));
  out.tokenCode = blindIndexToken(fromHex(a.fixed.blindKey), codeTerm('http://loinc.org', '2345-7'));
  out.tokenWord = blindIndexToken(fromHex(a.fixed.blindKey), 'Diabète');
  out.x25519Public = toHex(encryptionPublicKey(fromHex(a.fixed.x25519Private)));
  out.address = accountAddress(fromHex(a.fixed.secpPrivate));
  for (const [i, ks] of a.keystores.entries()) out[`keystore${i}`] = toHex((await decryptKeystore(ks.json, ks.passphrase)).privateKey);
  return out;
}

export async function browserSide(a: NodeArtifacts): Promise<BrowserArtifacts> {
  const b = a.binding;
  const dataKey = await unwrapDataKey(fromHex(a.record.envelope), fromHex(a.record.recipientPrivate), b);
  const opened = await openRecord(fromHex(a.record.ciphertext), dataKey, b);

  const streamKey = await unwrapDataKey(fromHex(a.stream.envelope), fromHex(a.record.recipientPrivate), b);
  const o = openStream(streamKey, b);
  const openedStream = await collect(streamOf(fromHex(a.stream.sealed)).pipeThrough(o));
  const { integrityHash: streamIntegrity } = await o.result;

  const requester = fromHex(a.record.recipientPrivate);
  const requesterPublic = encryptionPublicKey(requester);
  const released = [];
  for (const s of a.escrow.shares) released.push(await releaseEscrowShare({ index: s.index, envelope: fromHex(s.envelope) }, fromHex(s.custodianPrivate), b, requesterPublic));
  const escrowKey = await recoverEscrowedDataKey({ threshold: a.escrow.threshold, commitment: fromHex(a.escrow.commitment) }, released, requester, b);

  const tamperErrors: string[] = [];
  try { await openRecord(fromHex(a.tampered.ciphertext), dataKey, b); } catch (e) { tamperErrors.push(`${(e as Error).name}: ${(e as Error).message}`); }
  try { await collect(streamOf(fromHex(a.tampered.stream)).pipeThrough(openStream(streamKey, b))); } catch (e) { tamperErrors.push(`${(e as Error).name}: ${(e as Error).message}`); }
  try { await openRecord(fromHex(a.record.ciphertext), dataKey, { ...b, version: b.version + 1 }); } catch (e) { tamperErrors.push(`${(e as Error).name}: ${(e as Error).message}`); }

  // Now the other direction: seal in the browser for Node (wrapped to Node's fixed X25519 key).
  const nodePublic = encryptionPublicKey(fromHex(a.fixed.x25519Private));
  const msg = new TextEncoder().encode('sealed in Chromium');
  const sealed = await sealRecord(msg, b);
  const s = sealStream(b, { chunkSize: 4096 });
  const sealedStream = await collect(streamOf(new Uint8Array(20000).fill(7)).pipeThrough(s));
  const passphrase = 'browser-pass';
  return {
    userAgent: navigator.userAgent,
    deterministic: await deterministic(a),
    openedRecord: toHex(opened.plaintext),
    openedStream: toHex(openedStream),
    streamIntegrity,
    escrowKey: toHex(escrowKey),
    tamperErrors,
    back: {
      ciphertext: toHex(sealed.ciphertext),
      envelope: toHex(await wrapDataKey(sealed.dataKey, nodePublic, b)),
      integrityHash: sealed.integrityHash,
      sealedStream: toHex(sealedStream),
      streamEnvelope: toHex(await wrapDataKey(s.dataKey, nodePublic, b)),
      keystore: await encryptKeystore(fromHex(a.fixed.secpPrivate), passphrase, { scryptN: 1024 }),
      passphrase,
    },
  };
}
