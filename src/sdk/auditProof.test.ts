import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { inclusionPath, leafHash, rootOf, verifyInclusion, verifyPath, type InclusionProof } from './auditProof.ts';

// Leaves and roots of the Certificate Transparency reference tests (certificate-transparency-go, merkle tests).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

test('roots match the Certificate Transparency reference vectors', () => {
  const leaves = LEAVES.map((h) => leafHash(hexToBytes(h)));
  for (let n = 1; n <= 8; n++) assert.equal(bytesToHex(rootOf(leaves.slice(0, n))), ROOTS[n - 1], `tree of ${n}`);
  assert.equal(bytesToHex(rootOf([])), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('every leaf of trees of 1..33 proves its inclusion; anything altered fails', () => {
  for (let n = 1; n <= 33; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i, n)));
    const root = rootOf(leaves);
    for (let i = 0; i < n; i++) {
      const path = inclusionPath(leaves, i);
      assert.ok(verifyPath(leaves[i]!, i, n, path, root), `leaf ${i} of ${n}`);
      assert.ok(!verifyPath(leafHash(Uint8Array.of(99)), i, n, path, root), 'other leaf');
      if (n > 1) {
        assert.ok(!verifyPath(leaves[i]!, (i + 1) % n, n, path, root), 'wrong index');
        const bad = path.map((p) => p.slice());
        bad[0]![0]! ^= 1;
        assert.ok(!verifyPath(leaves[i]!, i, n, bad, root), 'altered path');
        assert.ok(!verifyPath(leaves[i]!, i, n, path.slice(1), root), 'short path');
      }
    }
  }
});

test('verifyInclusion checks the entry itself against the anchored root', () => {
  const entries = Array.from({ length: 5 }, (_, i) => ({
    seq: i + 1, time: 1_800_000_000 + i, actor: '0xAbc0000000000000000000000000000000000001', patient: '0x00000000000000000000000000000000000000p2'.replace('p', '0'),
    recordId: null, action: 'read', purpose: 'treatment', outcome: 'allowed' as const, reason: 'grant',
  }));
  const leaves = entries.map((e) => leafHash(new TextEncoder().encode(JSON.stringify([e.seq, e.time, e.actor.toLowerCase(), e.patient.toLowerCase(), null, e.action, e.purpose, e.outcome, e.reason]))));
  const root = bytesToHex(rootOf(leaves));
  const proof: InclusionProof = { entry: entries[3]!, periodId: 1, leafIndex: 3, treeSize: 5, path: inclusionPath(leaves, 3).map(bytesToHex), root };
  assert.ok(verifyInclusion(proof, { root: `0x${root}`, entryCount: 5 }));
  assert.ok(!verifyInclusion(proof, { root: `0x${root}`, entryCount: 6 }), 'the size must be the anchored count');
  assert.ok(!verifyInclusion({ ...proof, entry: { ...proof.entry, outcome: 'denied' } }), 'tampered entry');
  assert.ok(!verifyInclusion(proof, { root: `0x${'00'.repeat(32)}`, entryCount: 5 }), 'another root');
});
