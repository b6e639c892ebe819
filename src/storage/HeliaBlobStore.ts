/**
 * IPFS backend: blobs are raw blocks in an in-process Helia node (the JavaScript IPFS
 * implementation) on Helia's filesystem blockstore and datastore, pinned so garbage collection
 * keeps them. The CID of a blob is the same as in FsBlobStore (CIDv1 raw sha2-256), so records can
 * move between backends and be provided to the IPFS network by a networked Helia/Kubo node.
 *
 * `HeliaBlobStore.open(dir)` starts a light (offline) Helia: no libp2p, nothing leaves the machine.
 * To serve blocks to peers, pass a networked node (`createHelia({ blockstore, datastore })`) to the
 * constructor instead. Note that IPFS peers exchange blocks of at most ~2 MiB; a larger blob is one
 * big raw block that is stored and served locally but would need UnixFS chunking to travel by bitswap.
 */
import './nodeCompat.ts';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHeliaLight } from 'helia';
import type { Helia } from '@helia/interface';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import type { CID } from 'multiformats/cid';
import { chunksOf, type BlobStat, type BlobStore, type ByteSource } from './BlobStore.ts';
import { cidFromSha256, digestOf, parseCid } from './cid.ts';
import { BlobIntegrityError, BlobNotFoundError, BlobTooLargeError, StorageError } from './errors.ts';

export interface HeliaBlobStoreOptions {
  /** Largest blob accepted, in bytes (default 2 GiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 * 2 ** 30;
const MAX_GET_BYTES = 512 * 2 ** 20;
const OFFLINE = { offline: true } as const;

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) void _;
}

export class HeliaBlobStore implements BlobStore {
  readonly maxBytes: number;

  /**
   * @param helia a started Helia node (light or networked)
   * @param tmpDir where streamed uploads are staged while their CID is computed
   */
  constructor(readonly helia: Helia, private readonly tmpDir: string, options: HeliaBlobStoreOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new StorageError('maxBytes must be a positive integer');
    this.maxBytes = maxBytes;
    mkdirSync(tmpDir, { recursive: true });
    for (const name of readdirSync(tmpDir)) rmSync(join(tmpDir, name), { force: true });
  }

  /** Starts an offline Helia node with blockstore-fs / datastore-fs under `dir`. */
  static async open(dir: string, options: HeliaBlobStoreOptions = {}): Promise<HeliaBlobStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new StorageError('HeliaBlobStore needs a directory path');
    const helia = createHeliaLight({ blockstore: new FsBlockstore(join(dir, 'blocks')), datastore: new FsDatastore(join(dir, 'datastore')) });
    await helia.start();
    return new HeliaBlobStore(helia, join(dir, 'tmp'), options);
  }

  private async store(cid: CID, value: Uint8Array | AsyncIterable<Uint8Array>): Promise<string> {
    if (!(await this.helia.blockstore.has(cid))) await this.helia.blockstore.put(cid, value);
    if (!(await this.helia.pins.isPinned(cid))) await drain(this.helia.pins.add(cid));
    return cid.toString();
  }

  async put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new StorageError('put expects a Uint8Array');
    if (bytes.length > this.maxBytes) throw new BlobTooLargeError(`blob of ${bytes.length} bytes exceeds the store limit of ${this.maxBytes} bytes`);
    return this.store(cidFromSha256(createHash('sha256').update(bytes).digest()), bytes);
  }

  /** The CID must be known before a block is stored, so the stream is staged on disk first (bounded memory). */
  async putStream(source: ByteSource): Promise<string> {
    const tmpFile = join(this.tmpDir, `${randomBytes(12).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    const fh = await open(tmpFile, 'wx');
    try {
      let size = 0;
      try {
        for await (const chunk of chunksOf(source)) {
          if (!(chunk instanceof Uint8Array)) throw new StorageError('putStream chunks must be Uint8Array');
          size += chunk.length;
          if (size > this.maxBytes) throw new BlobTooLargeError(`stream exceeds the store limit of ${this.maxBytes} bytes`);
          hash.update(chunk);
          await fh.write(chunk);
        }
      } finally {
        await fh.close();
      }
      return await this.store(cidFromSha256(hash.digest()), createReadStream(tmpFile, { highWaterMark: 1 << 20 }));
    } finally {
      await unlink(tmpFile).catch(() => undefined);
    }
  }

  private async *chunks(cid: CID): AsyncGenerator<Uint8Array> {
    if (!(await this.helia.blockstore.has(cid))) throw new BlobNotFoundError(`blob ${cid} not found`);
    yield* this.helia.blockstore.get(cid, OFFLINE);
  }

  async get(id: string): Promise<Uint8Array> {
    const cid = parseCid(id);
    const hash = createHash('sha256');
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.chunks(cid)) {
      size += chunk.length;
      if (size > MAX_GET_BYTES) throw new BlobTooLargeError(`blob ${cid} is larger than ${MAX_GET_BYTES} bytes: read it with getStream`);
      hash.update(chunk);
      parts.push(chunk);
    }
    if (!hash.digest().equals(digestOf(cid))) throw new BlobIntegrityError(`blob ${cid} is corrupted: its bytes no longer match the content id`);
    return Buffer.concat(parts);
  }

  async getStream(id: string): Promise<ReadableStream<Uint8Array>> {
    const cid = parseCid(id);
    if (!(await this.helia.blockstore.has(cid))) throw new BlobNotFoundError(`blob ${cid} not found`);
    const hash = createHash('sha256');
    const iterator = this.chunks(cid);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await iterator.next();
          if (done) {
            if (!hash.digest().equals(digestOf(cid))) controller.error(new BlobIntegrityError(`blob ${cid} is corrupted: its bytes no longer match the content id`));
            else controller.close();
            return;
          }
          hash.update(value);
          controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await iterator.return(undefined);
      },
    }, { highWaterMark: 0 });
  }

  async has(id: string): Promise<boolean> {
    return this.helia.blockstore.has(parseCid(id));
  }

  async stat(id: string): Promise<BlobStat | undefined> {
    const cid = parseCid(id);
    if (!(await this.helia.blockstore.has(cid))) return undefined;
    let size = 0;
    for await (const chunk of this.helia.blockstore.get(cid, OFFLINE)) size += chunk.length;
    return { size };
  }

  async delete(id: string): Promise<boolean> {
    const cid = parseCid(id);
    if (!(await this.helia.blockstore.has(cid))) return false;
    if (await this.helia.pins.isPinned(cid)) await drain(this.helia.pins.rm(cid));
    await this.helia.blockstore.delete(cid);
    return true;
  }

  async *list(): AsyncIterable<string> {
    for await (const pin of this.helia.pins.ls()) {
      try {
        yield parseCid(pin.cid.toString()).toString();
      } catch {
        // pinned by someone else and not one of our raw sha2-256 blobs
      }
    }
  }

  async close(): Promise<void> {
    await this.helia.stop();
  }
}
