import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { orderedTrieRoot } from '../../src/chain/orderedTrie.ts';

async function reference(items: Uint8Array[]): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie();
  for (const [i, item] of items.entries()) await trie.put(RLP.encode(i), item);
  return trie.root();
}

test('orderedTrieRoot equals ethereumjs MerklePatriciaTrie roots (transactions/receipts tries)', async () => {
  // sizes around the RLP key-length boundaries (0, 1, 127/128, 255/256) and random contents,
  // including short values that make embedded (< 32 byte) nodes
  for (const n of [0, 1, 2, 16, 17, 127, 128, 129, 255, 256, 257, 600]) {
    const items = Array.from({ length: n }, (_, i) => new Uint8Array(1 + ((i * 7) % 90)).fill(i & 255));
    assert.deepEqual(orderedTrieRoot(items), await reference(items), `n=${n}`);
  }
  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }), { maxLength: 300 }), async (items) => {
    assert.deepEqual(orderedTrieRoot(items), await reference(items));
  }), { numRuns: 60 });
});
