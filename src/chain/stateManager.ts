/**
 * ethereumjs' MerkleStateManager with one fix: in 10.1.3 `putStorage` writes through to the
 * storage trie even when a storage cache is configured (`cache.put(...) ?? writeTrie(...)` -
 * `put` returns undefined, so the trie write always runs). That made every SSTORE a trie update
 * with hashing (half of sealing time). Here a cached write goes to the cache only; the cache is
 * flushed into the trie once per block when the state root is computed, as intended upstream.
 */
import { RLP } from '@ethereumjs/rlp';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { EthereumJSErrorWithoutCode, unpadBytes, type Address } from '@ethereumjs/util';

export class CachedMerkleStateManager extends MerkleStateManager {
  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const cache = this._caches?.storage;
    if (!cache) return super.putStorage(address, key, value);
    if (key.length !== 32) throw EthereumJSErrorWithoutCode('Storage key must be 32 bytes long');
    if (value.length > 32) throw EthereumJSErrorWithoutCode('Storage value cannot be longer than 32 bytes');
    if (!(await this.getAccount(address))) throw EthereumJSErrorWithoutCode('putStorage() called on non-existing account');
    cache.put(address, key, RLP.encode(unpadBytes(value)));
  }
}
