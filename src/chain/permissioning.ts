/**
 * Who may send transactions: Besu-style account permissioning. `open` admits every sender; an
 * allowlist admits the listed accounts and the authority. The mode is fixed at genesis; the list
 * changes through the perm_* admin methods and is kept in the store.
 */
import type { Address } from '@ethereumjs/util';
import { hexToBytes } from '@ethereumjs/util';
import { EMPTY, P, key, type ChainStore, type StoreOp } from './store.ts';
import type { Hex } from './types.ts';

export type Permissioning = { mode: 'open' } | { mode: 'allowlist'; accounts?: Hex[] };

const MODE_KEY = key(P.config, new TextEncoder().encode('permissioning'));

/** The genesis writes of a permissioning setting (the authority is always on an allowlist). */
export function permissioningOps(perm: Permissioning, signer: Address): StoreOp[] {
  return [
    { type: 'put', key: MODE_KEY, value: new TextEncoder().encode(perm.mode) },
    ...(perm.mode === 'allowlist' ? [signer.toString(), ...(perm.accounts ?? [])] : [])
      .map((a): StoreOp => ({ type: 'put', key: key(P.allow, hexToBytes(a.toLowerCase() as Hex)), value: EMPTY })),
  ];
}

export class AccountPermissioning {
  mode: 'open' | 'allowlist' = 'open';
  private allowed = new Set<string>();

  constructor(private readonly store: ChainStore, private readonly signer: Address) {}

  /** Reads the mode and the list from the store (at start and after genesis). */
  async load() {
    const list = await this.store.allowlist();
    const mode = await this.store.get(MODE_KEY);
    this.mode = mode && new TextDecoder().decode(mode) === 'allowlist' ? 'allowlist' : 'open';
    this.allowed = new Set(list);
  }

  isAllowed(address: string): boolean {
    return this.mode === 'open' || this.allowed.has(address.toLowerCase()) || address.toLowerCase() === this.signer.toString();
  }

  async setAllowed(addresses: string[], allowed: boolean) {
    const list = addresses.map((a) => a.toLowerCase());
    await this.store.setAllowed(list, allowed);
    for (const a of list) { if (allowed) this.allowed.add(a); else this.allowed.delete(a); }
  }

  list(): string[] { return [...this.allowed]; }
}
