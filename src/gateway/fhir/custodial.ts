/**
 * The hospital's keystore of custodial accounts: integrations whose keys the hospital holds (an
 * EHR interface, a ward's device bridge). For these callers alone the gateway encrypts and decrypts
 * FHIR resources itself and sends their record transactions; everyone else keeps end-to-end
 * encryption and reads ciphertext plus their own key envelope over /api. Authorization is the same
 * chain rule for both: holding a key here grants nothing by itself.
 */
import type { Address, Chain, LocalAccount, PublicClient, Transport } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { encryptionPublicKey } from '../../crypto/index.ts';
import type { CustodialKey } from '../../keys/keyRing.ts';
import { transactionSender } from '../chain/relayer.ts';

export interface CustodialAccount {
  address: Address;
  /**
   * The local signer: simulations must carry it (not the bare address), or viem's writeContract
   * falls back to eth_sendTransaction, which a production node refuses (it holds no keys).
   */
  signer: LocalAccount;
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
  send: ReturnType<typeof transactionSender>['send'];
}

export function custodialKeystore(keys: CustodialKey[], chainAccess: { client: PublicClient; transport: Transport; chain: Chain }) {
  const accounts = new Map<string, CustodialAccount>();
  for (const key of keys) {
    const address = privateKeyToAddress(key.privateKey);
    const { account: signer, send } = transactionSender({ ...chainAccess, privateKey: key.privateKey });
    accounts.set(address.toLowerCase(), {
      address, signer, send, encryption: { privateKey: key.encryptionPrivateKey, publicKey: encryptionPublicKey(key.encryptionPrivateKey) },
    });
  }
  return {
    /** The custodial account for this address, if the hospital holds its keys. */
    get: (address: Address): CustodialAccount | undefined => accounts.get(address.toLowerCase()),
    addresses: (): Address[] => [...accounts.values()].map((a) => a.address),
  };
}

export type CustodialKeystore = ReturnType<typeof custodialKeystore>;
