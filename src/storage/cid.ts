/**
 * Content ids: CIDv1, raw codec (0x55), sha2-256 multihash — what `ipfs add --raw-leaves` gives a
 * single-block file and what Helia stores. Parsing is strict and returns the canonical base32 form,
 * which only contains [a-z2-7], so a parsed id is always safe as a file name.
 */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 } from 'multiformats/hashes/sha2';
import { InvalidCidError } from './errors.ts';

export type Sha256 = ReturnType<typeof createHash>;

export function cidFromSha256(digest: Uint8Array): CID {
  return CID.createV1(raw.code, Digest.create(sha256.code, digest));
}

export function cidOf(bytes: Uint8Array): string {
  return cidFromSha256(createHash('sha256').update(bytes).digest()).toString();
}

export function parseCid(id: unknown): CID {
  const shown = typeof id === 'string' ? JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id) : typeof id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw new InvalidCidError(`invalid content id ${shown}: expected a CIDv1 string`);
  let cid: CID;
  try {
    cid = CID.parse(id);
  } catch (cause) {
    throw new InvalidCidError(`invalid content id ${shown}: not a CID`, { cause });
  }
  if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== sha256.code || cid.multihash.size !== 32) {
    throw new InvalidCidError(`invalid content id ${shown}: only CIDv1 raw sha2-256 ids are stored here`);
  }
  return cid;
}

/** Canonical base32 string of a valid id. */
export function canonicalCid(id: unknown): string {
  return parseCid(id).toString();
}

/** The sha2-256 digest inside a parsed id. */
export function digestOf(cid: CID): Uint8Array {
  return cid.multihash.digest;
}
