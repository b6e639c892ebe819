/** Typed errors of the blob store. Messages name the CID (never the content) and what to do. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The id is not a CIDv1 with raw codec and sha2-256 multihash (also catches path tricks like "../x"). */
export class InvalidCidError extends StorageError {
  override name = 'InvalidCidError';
}

export class BlobNotFoundError extends StorageError {
  override name = 'BlobNotFoundError';
}

/** Stored bytes no longer hash to their CID: disk corruption or tampering. */
export class BlobIntegrityError extends StorageError {
  override name = 'BlobIntegrityError';
}

export class BlobTooLargeError extends StorageError {
  override name = 'BlobTooLargeError';
}
