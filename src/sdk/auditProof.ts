/**
 * RFC 6962 / RFC 9162 Merkle trees (the Certificate Transparency format): leaf = SHA-256(0x00 ||
 * data), node = SHA-256(0x01 || left || right), the left subtree holding the largest power of two
 * below n. Pure and browser-safe, so a patient's browser verifies inclusion proofs itself.
 * Hand-written because the structure is small and must be exactly this one; the npm packages
 * that implement it (merkletreejs and others) sort or duplicate leaves and are not RFC 6962.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) { out.set(p, offset); offset += p.length; }
  return out;
};

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(0), data));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over already-hashed leaves. */
export function rootOf(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array());
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]): the audit path of leaf `index`, bottom up. */
export function inclusionPath(leaves: Uint8Array[], index: number): Uint8Array[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} is outside a tree of ${leaves.length}`);
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return index < k
    ? [...inclusionPath(leaves.slice(0, k), index), rootOf(leaves.slice(k))]
    : [...inclusionPath(leaves.slice(k), index - k), rootOf(leaves.slice(0, k))];
}

/** RFC 9162 §2.1.3.2: verifies that `leaf` is at `index` of a tree of `size` with root `root`. */
export function verifyPath(leaf: Uint8Array, index: number, size: number, path: Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && bytesToHex(r) === bytesToHex(root);
}

/** An access-log entry as it is hashed: fixed key order, no optional key omitted. */
export interface LogEntry {
  seq: number;
  time: number;
  actor: string;
  patient: string;
  recordId: string | null;
  action: string;
  purpose: string;
  outcome: 'allowed' | 'denied' | 'failed';
  reason: string;
}

export function canonicalEntry(e: LogEntry): Uint8Array {
  return utf8ToBytes(JSON.stringify([e.seq, e.time, e.actor.toLowerCase(), e.patient.toLowerCase(), e.recordId?.toLowerCase() ?? null, e.action, e.purpose, e.outcome, e.reason]));
}

export interface InclusionProof {
  entry: LogEntry;
  periodId: number;
  leafIndex: number;
  treeSize: number;
  /** Hex hashes, bottom up. */
  path: string[];
  /** Hex root, as anchored on chain. */
  root: string;
}

/**
 * Checks an entry's proof against an anchor read from the chain (AccessLogAnchor.getAnchor): the
 * root and the entry count must both be the anchored ones, and the path must lead to that root.
 */
export function verifyInclusion(proof: InclusionProof, anchor: { root: string; entryCount: number | bigint } = { root: proof.root, entryCount: proof.treeSize }): boolean {
  const root = anchor.root.replace(/^0x/, '');
  if (root.toLowerCase() !== proof.root.replace(/^0x/, '').toLowerCase()) return false;
  if (Number(anchor.entryCount) !== proof.treeSize) return false;
  return verifyPath(leafHash(canonicalEntry(proof.entry)), proof.leafIndex, proof.treeSize, proof.path.map((h) => hexToBytes(h.replace(/^0x/, ''))), hexToBytes(root));
}
