/**
 * Filesystem blob store: one file per blob at <dir>/blocks/<shard>/<cid>, shard = the two characters
 * before the last of the CID (as go-ipfs flatfs "next-to-last/2").
 *
 * Durability: a write goes to <dir>/tmp/<random>, is fsynced, renamed into place and the directory
 * is fsynced, so a put that resolved survives kill -9 and power loss; a crash leaves at most a temp
 * file, which is never listed as a blob and is removed when the store is next opened.
 * Single writer per directory (one gateway process); readers may be many.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { chunksOf, type BlobStat, type BlobStore, type ByteSource } from './BlobStore.ts';
import { cidFromSha256, digestOf, parseCid } from './cid.ts';
import { BlobIntegrityError, BlobNotFoundError, BlobTooLargeError, StorageError } from './errors.ts';

export interface FsBlobStoreOptions {
  /** Largest blob accepted, in bytes (default 2 GiB). */
  maxBytes?: number;
  /** fsync files and directories (default true; benches may turn it off to measure the difference). */
  fsync?: boolean;
}

const DEFAULT_MAX_BYTES = 2 * 2 ** 30;
/** get() reads whole blobs into memory; above this use getStream. */
const MAX_GET_BYTES = 512 * 2 ** 20;
/** get()'s first read: blobs up to this size need no fstat. */
const FIRST_READ = 128 * 1024;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsBlobStore implements BlobStore {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly blocks: string;
  private readonly tmp: string;
  private readonly fsync: boolean;

  /** Opens (creating if needed) a store and removes temp files left by a crash. */
  constructor(dir: string, options: FsBlobStoreOptions = {}) {
    if (typeof dir !== 'string' || dir.length === 0) throw new StorageError('FsBlobStore needs a directory path');
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new StorageError('maxBytes must be a positive integer');
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.fsync = options.fsync ?? true;
    this.blocks = join(dir, 'blocks');
    this.tmp = join(dir, 'tmp');
    mkdirSync(this.blocks, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
    for (const name of readdirSync(this.tmp)) rmSync(join(this.tmp, name), { force: true });
  }

  private pathOf(cid: string): { shardDir: string; file: string } {
    const shardDir = join(this.blocks, cid.slice(-3, -1));
    return { shardDir, file: join(shardDir, cid) };
  }

  async put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new StorageError('put expects a Uint8Array');
    if (bytes.length > this.maxBytes) throw new BlobTooLargeError(`blob of ${bytes.length} bytes exceeds the store limit of ${this.maxBytes} bytes`);
    return this.write(async (fh, hash) => {
      hash.update(bytes);
      await fh.writeFile(bytes);
    });
  }

  async putStream(source: ByteSource): Promise<string> {
    return this.write(async (fh, hash) => {
      let size = 0;
      for await (const chunk of chunksOf(source)) {
        if (!(chunk instanceof Uint8Array)) throw new StorageError('putStream chunks must be Uint8Array');
        size += chunk.length;
        if (size > this.maxBytes) throw new BlobTooLargeError(`stream exceeds the store limit of ${this.maxBytes} bytes`);
        hash.update(chunk);
        await fh.write(chunk);
      }
    });
  }

  /** Temp file -> fsync -> rename -> fsync directory. The temp file is removed on any failure. */
  private async write(fill: (fh: FileHandle, hash: ReturnType<typeof createHash>) => Promise<void>): Promise<string> {
    const tmpFile = join(this.tmp, `${randomBytes(12).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let fh: FileHandle | undefined = await open(tmpFile, 'wx');
    try {
      await fill(fh, hash);
      if (this.fsync) await fh.sync();
      await fh.close();
      fh = undefined;
      const cid = cidFromSha256(hash.digest()).toString();
      const { shardDir, file } = this.pathOf(cid);
      if (await this.exists(file)) {
        await unlink(tmpFile); // deduplicated: identical content is already durable
        return cid;
      }
      mkdirSync(shardDir, { recursive: true });
      await rename(tmpFile, file);
      if (this.fsync) {
        await fsyncDir(shardDir);
        await fsyncDir(this.blocks);
      }
      return cid;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmpFile).catch(() => undefined);
      throw err;
    }
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await stat(file);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async get(id: string): Promise<Uint8Array> {
    const cid = parseCid(id);
    const { file } = this.pathOf(cid.toString());
    // This is the gateway's cold read path: every await below is a trip through libuv's thread
    // pool. A blob up to FIRST_READ bytes (most FHIR records) costs open + one read; larger ones add
    // an fstat for their size. close() is not waited for: the bytes are already in memory.
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(`blob ${cid} not found`);
      throw err;
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.allocUnsafe(FIRST_READ);
      let offset = (await fh.read(bytes, 0, FIRST_READ, 0)).bytesRead;
      if (offset === FIRST_READ) {
        const { size } = await fh.stat();
        if (size > MAX_GET_BYTES) throw new BlobTooLargeError(`blob ${cid} is ${size} bytes: read it with getStream`);
        const whole = Buffer.allocUnsafe(Math.max(size, FIRST_READ));
        bytes.copy(whole, 0, 0, FIRST_READ);
        bytes = whole;
        while (offset < bytes.length) {
          const { bytesRead } = await fh.read(bytes, offset, bytes.length - offset, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
        }
      }
      bytes = bytes.subarray(0, offset);
    } finally {
      fh.close().catch(() => undefined);
    }
    if (!createHash('sha256').update(bytes).digest().equals(digestOf(cid))) {
      throw new BlobIntegrityError(`blob ${cid} is corrupted: its bytes no longer match the content id`);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async getStream(id: string): Promise<ReadableStream<Uint8Array>> {
    const cid = parseCid(id);
    const { file } = this.pathOf(cid.toString());
    if (!(await this.exists(file))) throw new BlobNotFoundError(`blob ${cid} not found`);
    const hash = createHash('sha256');
    const iterator = createReadStream(file, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
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
          controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        } catch (err) {
          controller.error(isNotFound(err) ? new BlobNotFoundError(`blob ${cid} not found`) : err);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    }, { highWaterMark: 0 });
  }

  async has(id: string): Promise<boolean> {
    return this.exists(this.pathOf(parseCid(id).toString()).file);
  }

  async stat(id: string): Promise<BlobStat | undefined> {
    try {
      const s = await stat(this.pathOf(parseCid(id).toString()).file);
      return { size: s.size };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const { shardDir, file } = this.pathOf(parseCid(id).toString());
    try {
      await unlink(file);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (this.fsync) await fsyncDir(shardDir);
    return true;
  }

  async *list(): AsyncIterable<string> {
    for (const shard of await readdir(this.blocks)) {
      let names: string[];
      try {
        names = await readdir(join(this.blocks, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        try {
          if (parseCid(name).toString() === name) yield name;
        } catch {
          // not a blob (never written by this store): ignore
        }
      }
    }
  }

  async close(): Promise<void> {}
}
