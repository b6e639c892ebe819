/**
 * Who sealed a block on a Clique (EIP-225) chain. Clique leaves `miner` zero and puts the sealer's
 * 65-byte signature at the end of `extraData`, over the hash of the header with that seal removed.
 * The header is re-encoded from the JSON-RPC block (RLP, Yellow Paper §4.3, with the fields later
 * forks appended: EIP-1559 base fee, EIP-4895 withdrawals root, EIP-4844 blob gas, EIP-4788 beacon
 * root, EIP-7685 requests hash) and checked against the block hash before the signer is recovered,
 * so a header this code cannot reproduce yields null rather than a wrong producer.
 */
import { keccak256, recoverAddress, toRlp, type Address, type Hex } from 'viem';

const SEAL_BYTES = 65;
const VANITY_BYTES = 32;

export interface RpcBlockHeader {
  hash: Hex; parentHash: Hex; sha3Uncles: Hex; miner: Hex; stateRoot: Hex; transactionsRoot: Hex; receiptsRoot: Hex; logsBloom: Hex;
  difficulty: Hex; number: Hex; gasLimit: Hex; gasUsed: Hex; timestamp: Hex; extraData: Hex; mixHash: Hex; nonce: Hex;
  baseFeePerGas?: Hex; withdrawalsRoot?: Hex; blobGasUsed?: Hex; excessBlobGas?: Hex; parentBeaconBlockRoot?: Hex; requestsHash?: Hex;
}

/** An RPC quantity ("0x0", "0x1a") as RLP wants it: minimal big-endian bytes, zero as empty. */
const quantity = (q: Hex): Hex => {
  const n = BigInt(q);
  if (n === 0n) return '0x';
  const hex = n.toString(16);
  return `0x${hex.length % 2 ? '0' : ''}${hex}`;
};

function headerFields(b: RpcBlockHeader, extraData: Hex): Hex[] {
  const fields: Hex[] = [
    b.parentHash, b.sha3Uncles, b.miner, b.stateRoot, b.transactionsRoot, b.receiptsRoot, b.logsBloom,
    quantity(b.difficulty), quantity(b.number), quantity(b.gasLimit), quantity(b.gasUsed), quantity(b.timestamp), extraData, b.mixHash, b.nonce,
  ];
  if (b.baseFeePerGas !== undefined) fields.push(quantity(b.baseFeePerGas));
  if (b.withdrawalsRoot !== undefined) fields.push(b.withdrawalsRoot);
  if (b.blobGasUsed !== undefined) fields.push(quantity(b.blobGasUsed));
  if (b.excessBlobGas !== undefined) fields.push(quantity(b.excessBlobGas));
  if (b.parentBeaconBlockRoot !== undefined) fields.push(b.parentBeaconBlockRoot);
  if (b.requestsHash !== undefined) fields.push(b.requestsHash);
  return fields;
}

/** The block's producer: `miner` when set, else the Clique sealer recovered from extraData; null if neither. */
export async function blockProducer(b: RpcBlockHeader): Promise<Address | null> {
  if (BigInt(b.miner) !== 0n) return b.miner as Address;
  const extra = b.extraData.slice(2);
  if (extra.length / 2 < VANITY_BYTES + SEAL_BYTES) return null;
  // The header must re-encode to the block's own hash, or the field list is not this chain's.
  if (keccak256(toRlp(headerFields(b, b.extraData))) !== b.hash) return null;
  const seal = `0x${extra.slice(-SEAL_BYTES * 2)}` as Hex;
  const unsealed = `0x${extra.slice(0, -SEAL_BYTES * 2)}` as Hex;
  try {
    return await recoverAddress({ hash: keccak256(toRlp(headerFields(b, unsealed))), signature: seal });
  } catch {
    return null;
  }
}
