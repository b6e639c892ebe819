/**
 * A Hyperledger Besu QBFT genesis with contract-based validator selection (Besu docs, "Configure
 * QBFT consensus", 26.6): `config.qbft.validatorcontractaddress` names the contract whose
 * `getValidators()` Besu calls for each block's validator set — MedChain's Incentives, which is in
 * `alloc` with its code and storage (see ./predeploy.ts) — so `extraData` lists no validators.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, type Address, type Hex } from 'viem';
import type { AllocAccount } from './predeploy.ts';

/** The mixHash Besu requires of a QBFT genesis ("Istanbul block identification"; ASCII "…ctical byzantine fault tolerance"). */
export const QBFT_MIX_HASH: Hex = '0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365';

/** Block gas limit, as the embedded node's default (100,000,000): a private free-gas chain. */
export const CONSORTIUM_BLOCK_GAS_LIMIT = 100_000_000n;

export interface QbftParams {
  chainId: number;
  blockPeriodSeconds: number;
  requestTimeoutSeconds: number;
  epochLength: number;
  validatorContract: Address;
  alloc: Record<Address, AllocAccount>;
}

/**
 * RLP([32-byte vanity, no validators, no vote, round 0, no seals]): the genesis extraData for
 * contract validator selection (the validators live in the contract's storage instead).
 */
export function contractModeExtraData(): Hex {
  return bytesToHex(RLP.encode([new Uint8Array(32), [], [], new Uint8Array(0), []]));
}

export function qbftGenesis(params: QbftParams) {
  return {
    config: {
      chainId: params.chainId,
      // Every fork up to Cancun from the start: the contracts are compiled for Cancun
      // (PUSH0, MCOPY, transient storage; contracts/compile.ts).
      homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0,
      petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, shanghaiTime: 0, cancunTime: 0,
      // Free gas (Besu docs, "Free gas network"): base fee 0 with London; nodes run min-gas-price=0.
      zeroBaseFee: true,
      qbft: {
        blockperiodseconds: params.blockPeriodSeconds,
        epochlength: params.epochLength,
        requesttimeoutseconds: params.requestTimeoutSeconds,
        validatorcontractaddress: params.validatorContract.toLowerCase(),
      },
    },
    nonce: '0x0',
    timestamp: '0x0',
    extraData: contractModeExtraData(),
    gasLimit: `0x${CONSORTIUM_BLOCK_GAS_LIMIT.toString(16)}`,
    difficulty: '0x1',
    mixHash: QBFT_MIX_HASH,
    coinbase: '0x0000000000000000000000000000000000000000',
    alloc: Object.fromEntries(Object.entries(params.alloc).map(([address, account]) => [address.toLowerCase(), account])),
    number: '0x0',
    gasUsed: '0x0',
    parentHash: `0x${'00'.repeat(32)}`,
  };
}

export type QbftGenesis = ReturnType<typeof qbftGenesis>;
