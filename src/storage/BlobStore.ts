/**
 * The content-addressed blob store interface (ciphertexts of records and attachments). Ids are
 * CIDv1 raw sha2-256 strings (cid.ts). Every implementation verifies the hash on every read.
 */
export interface BlobStat {
  size: number;
}

export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface BlobStore {
  /** Stores bytes; returns their CID. Idempotent: the same bytes give the same CID and one copy. */
  put(bytes: Uint8Array): Promise<string>;
  /** Stores a stream in bounded memory; returns the CID once the bytes are durable. */
  putStream(source: ByteSource): Promise<string>;
  /** Reads and verifies a blob. BlobNotFoundError / BlobIntegrityError / InvalidCidError. */
  get(cid: string): Promise<Uint8Array>;
  /** Streams a blob; the stream errors (instead of ending) with BlobIntegrityError if the bytes do not hash to the CID. */
  getStream(cid: string): Promise<ReadableStream<Uint8Array>>;
  has(cid: string): Promise<boolean>;
  /** Removes a blob (erasure). Returns false when it was not there. */
  delete(cid: string): Promise<boolean>;
  stat(cid: string): Promise<BlobStat | undefined>;
  /** Every stored CID. */
  list(): AsyncIterable<string>;
  close(): Promise<void>;
}

/** Iterates a web ReadableStream or any async iterable of byte chunks. */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    yield* source as AsyncIterable<Uint8Array>;
  }
}
