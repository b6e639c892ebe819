/**
 * A purpose tag for tests and benchmarks that write grants straight to the contracts, bypassing the
 * gateway (which hands out the real tags, blinded per patient and grantee: crypto/categoryKey.ts
 * blindPurpose). The contracts never read a purpose, so any bytes32 does; the gateway cannot decode
 * this one and lists it as "unknown". Tests that check a decoded purpose ask the gateway instead.
 */
import { keccak256, toBytes, type Hex } from 'viem';
import type { PurposeName } from '../src/sdk/contracts.ts';

export const opaquePurpose = (name: PurposeName = 'Treatment'): Hex => keccak256(toBytes(`medchain test purpose ${name}`));
