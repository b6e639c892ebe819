/**
 * Parsers of JSON-RPC parameters: each checks one value and names it in the -32602 message when
 * it is wrong. Method definitions (table.ts) list them as their parameter schema.
 */
import { createAddressFromString, hexToBytes, type Address } from '@ethereumjs/util';
import { isAddress, isHex } from 'viem';
import { invalidParams } from '../errors.ts';
import type { Bytes, Hex } from '../types.ts';

/** One parameter's parser: the checked value, or an invalid-params error. */
export type Param<T> = (value: unknown) => T;

export function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw invalidParams(`${name}: expected a hex quantity`);
  return BigInt(v);
}
/** A JSON number (integer) or a hex quantity, as test tools send both for times and counts. */
export function intOrQuantity(v: unknown, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidParams(`${name}: expected a non-negative integer`);
    return BigInt(v);
  }
  return quantity(v, name);
}
export function optQuantity(v: unknown, name: string): bigint | undefined {
  return v === undefined || v === null ? undefined : quantity(v, name);
}
export function address(v: unknown, name: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw invalidParams(`${name}: expected an address`);
  return createAddressFromString(v);
}
export function data(v: unknown, name: string): Bytes {
  if (typeof v !== 'string' || !isHex(v) || v.length % 2 !== 0) throw invalidParams(`${name}: expected hex data`);
  return hexToBytes(v);
}
export function hash32(v: unknown, name: string): Bytes {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw invalidParams(`${name}: expected a 32-byte hash`);
  return hexToBytes(v as Hex);
}

/** The params member of a request: absent means none; anything but an array is refused. */
export function paramList(p: unknown): unknown[] {
  if (p === undefined || p === null) return [];
  if (!Array.isArray(p)) throw invalidParams('params must be an array');
  return p;
}

/** Schema entries, by name (`param.address('from')` parses an address called "from" in errors). */
export const param = {
  quantity: (name: string): Param<bigint> => (v) => quantity(v, name),
  intOrQuantity: (name: string): Param<bigint> => (v) => intOrQuantity(v, name),
  optQuantity: (name: string): Param<bigint | undefined> => (v) => optQuantity(v, name),
  address: (name: string): Param<Address> => (v) => address(v, name),
  data: (name: string): Param<Bytes> => (v) => data(v, name),
  hash: (name: string): Param<Bytes> => (v) => hash32(v, name),
  /** Checked by the method itself (geth's answer depends on the other parameters). */
  raw: ((v) => v) as Param<unknown>,
};
