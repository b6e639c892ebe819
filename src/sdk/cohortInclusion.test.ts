/**
 * verifyCohortInclusion on trees built from the leaf it defines (RFC 6962, ./auditProof.ts): every
 * member's proof verifies at every tree size, including a one-leaf tree; a proof for someone else,
 * with another leaf salt or index, an index outside the tree, another path, or against another root
 * does not. (The path does not fix the tree's size on its own: a caller who needs it checks it
 * against the run's participant count.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, keccak256, toHex, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { inclusionPath, rootOf } from './auditProof.ts';
import { cohortLeaf, verifyCohortInclusion, type CohortInclusion } from './cohortInclusion.ts';

test('verifyCohortInclusion: members verify; an outsider, a changed salt, index, path or root do not', () => {
  const members: Address[] = Array.from({ length: 9 }, () => privateKeyToAccount(generatePrivateKey()).address);
  const outsider = privateKeyToAccount(generatePrivateKey()).address;
  const saltOf = (p: Address): Hex => keccak256(toHex(`salt:${p}`));
  for (const size of [1, 2, 3, 5, 8, 9]) {
    const cohort = members.slice(0, size);
    const leaves = cohort.map((p) => cohortLeaf(saltOf(p), p));
    const root = bytesToHex(rootOf(leaves));
    cohort.forEach((p, i) => {
      const proof: CohortInclusion = { leafSalt: saltOf(p), leafIndex: i, treeSize: size, path: inclusionPath(leaves, i).map((h) => bytesToHex(h)) };
      assert.ok(verifyCohortInclusion(proof, p, root), `member ${i} of ${size}`);
      assert.ok(verifyCohortInclusion(proof, p.toLowerCase() as Address, root), 'the address is hashed lower-case');
      assert.equal(verifyCohortInclusion(proof, outsider, root), false);
      assert.equal(verifyCohortInclusion({ ...proof, leafSalt: saltOf(outsider) }, p, root), false);
      assert.equal(verifyCohortInclusion({ ...proof, leafIndex: (i + 1) % size }, p, root), size === 1);
      assert.equal(verifyCohortInclusion({ ...proof, treeSize: i }, p, root), false, 'a leaf outside the tree');
      assert.equal(verifyCohortInclusion({ ...proof, leafIndex: -1 }, p, root), false);
      if (proof.path.length) assert.equal(verifyCohortInclusion({ ...proof, path: [bytesToHex(cohortLeaf(saltOf(outsider), outsider)), ...proof.path.slice(1)] }, p, root), false);
      assert.equal(verifyCohortInclusion(proof, p, keccak256(root)), false);
    });
  }
});
