/**
 * Blob store throughput: writes and verified reads per second for FsBlobStore (with and without
 * fsync, to show the price of durability) and HeliaBlobStore (in-process Helia on blockstore-fs),
 * same blobs, same run. Run: `npx tsx bench/store.ts` (or `npm run bench -- store`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../src/storage/BlobStore.ts';
import { FsBlobStore } from '../src/storage/FsBlobStore.ts';
import { HeliaBlobStore } from '../src/storage/HeliaBlobStore.ts';
import { percentile, report, savePlot, type Row } from './lib/report.ts';

const backends: Array<[string, (dir: string) => Promise<BlobStore>]> = [
  ['fs (fsync)', async (dir) => new FsBlobStore(dir)],
  ['fs (no fsync)', async (dir) => new FsBlobStore(dir, { fsync: false })],
  ['helia (blockstore-fs)', (dir) => HeliaBlobStore.open(dir)],
];
const sizes: Array<[string, number, number]> = [['1 KB', 1024, 300], ['64 KB', 64 * 1024, 200], ['1 MB', 2 ** 20, 40]];

const rows: Row[] = [];
const plot: Array<{ backend: string; size: string; op: string; perSecond: number }> = [];
for (const [label, size, count] of sizes) {
  const blobs = Array.from({ length: count }, () => new Uint8Array(randomBytes(size)));
  for (const [name, open] of backends) {
    const dir = mkdtempSync(join(tmpdir(), 'medchain-bench-store-'));
    const store = await open(dir);
    try {
      const cids: string[] = [];
      const writeMs: number[] = [];
      const t0 = performance.now();
      for (const b of blobs) {
        const s = performance.now();
        cids.push(await store.put(b));
        writeMs.push(performance.now() - s);
      }
      const writeSec = (performance.now() - t0) / 1000;
      const readMs: number[] = [];
      const t1 = performance.now();
      for (const cid of cids) {
        const s = performance.now();
        await store.get(cid);
        readMs.push(performance.now() - s);
      }
      const readSec = (performance.now() - t1) / 1000;
      rows.push({ backend: name, blob: label, 'writes/s': count / writeSec, 'write p50 ms': percentile(writeMs, 50), 'write p99 ms': percentile(writeMs, 99), 'reads/s': count / readSec, 'read p50 ms': percentile(readMs, 50), 'read MB/s': (count * size) / 2 ** 20 / readSec });
      plot.push({ backend: name, size: label, op: 'write', perSecond: count / writeSec }, { backend: name, size: label, op: 'read', perSecond: count / readSec });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
report('store', 'Blob store writes and verified reads per second (FsBlobStore vs Helia, same run)', rows);
await savePlot('store', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Blob store operations per second (log scale)',
  data: { values: plot },
  mark: 'bar',
  encoding: {
    x: { field: 'backend', type: 'nominal', title: null, axis: { labelAngle: -30 } },
    y: { field: 'perSecond', type: 'quantitative', scale: { type: 'log' }, title: 'ops/s' },
    color: { field: 'op', type: 'nominal' },
    xOffset: { field: 'op' },
    column: { field: 'size', type: 'nominal', sort: ['1 KB', '64 KB', '1 MB'] },
  },
});
