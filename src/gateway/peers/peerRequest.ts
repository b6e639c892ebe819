/**
 * Gateway-to-gateway requests in a consortium, signed with the asking hospital's operator key.
 *
 * The signature is EIP-191 `personal_sign` over a short text naming everything that makes the
 * request what it is — chain, signer, target hospital, method, path with query, content id,
 * timestamp and a random nonce — so a captured request cannot be altered, sent to another
 * hospital, or replayed (the receiver keeps each signer's nonces for longer than the clock window).
 * EIP-191 rather than EIP-712 because the signer is a server key, not a wallet showing typed data
 * to a person; the text is still unambiguous (one field per line, fixed order).
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.ts';
import { recoverMessageAddress, type Address, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';

export const PEER_HEADERS = {
  from: 'x-medchain-peer',
  timestamp: 'x-medchain-peer-timestamp',
  nonce: 'x-medchain-peer-nonce',
  signature: 'x-medchain-peer-signature',
} as const;

export interface PeerRequestFields {
  chainId: number;
  from: Address;
  /** The target hospital's name in consortium.json. */
  to: string;
  method: string;
  /** Path and query, exactly as sent (e.g. /peer/v1/records/0x…/versions/1/ciphertext?cid=…&reader=0x…). */
  path: string;
  /** The content id asked for, or '-' when the request names none. */
  cid: string;
  timestamp: number;
  nonce: string;
}

/** The signed text (EIP-191 message body). */
export function peerRequestMessage(f: PeerRequestFields): string {
  return [
    'MedChain peer request v1',
    `chain: ${f.chainId}`,
    `from: ${f.from.toLowerCase()}`,
    `to: ${f.to}`,
    `${f.method.toUpperCase()} ${f.path}`,
    `cid: ${f.cid}`,
    `timestamp: ${f.timestamp}`,
    `nonce: ${f.nonce}`,
  ].join('\n');
}

/** Signs a request as `account` (timestamped by `clock` unless given); returns the headers to send with it. */
export async function signPeerRequest(account: PrivateKeyAccount, f: Omit<PeerRequestFields, 'from' | 'timestamp' | 'nonce'> & { timestamp?: number; nonce?: string }, clock: Clock = systemClock): Promise<Record<string, string>> {
  const fields: PeerRequestFields = {
    ...f, from: account.address, timestamp: f.timestamp ?? clock.seconds(), nonce: f.nonce ?? randomBytes(16).toString('hex'),
  };
  const signature = await account.signMessage({ message: peerRequestMessage(fields) });
  return {
    [PEER_HEADERS.from]: fields.from, [PEER_HEADERS.timestamp]: String(fields.timestamp), [PEER_HEADERS.nonce]: fields.nonce, [PEER_HEADERS.signature]: signature,
  };
}

/** The address that signed these fields (throws on a malformed signature). */
export function recoverPeerSigner(f: PeerRequestFields, signature: Hex): Promise<Address> {
  return recoverMessageAddress({ message: peerRequestMessage(f), signature });
}
