/**
 * Child process for the kill -9 test (FsBlobStore.crash.test.ts): writes random blobs forever,
 * alternating put and putStream, and prints "ack <cid>" only after the write resolved.
 * Usage: node --import tsx src/storage/crashWriter.ts <dir>
 */
import { randomBytes, randomInt } from 'node:crypto';
import { FsBlobStore } from './FsBlobStore.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: crashWriter.ts <dir>');
  process.exit(2);
}
const store = new FsBlobStore(dir);
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const bytes = randomBytes(randomInt(1, 512 * 1024));
  let cid: string;
  if (i % 2 === 0) {
    cid = await store.put(bytes);
  } else {
    cid = await store.putStream((async function* () {
      for (let at = 0; at < bytes.length; at += 32 * 1024) yield bytes.subarray(at, at + 32 * 1024);
    })());
  }
  process.stdout.write(`ack ${cid}\n`);
}
