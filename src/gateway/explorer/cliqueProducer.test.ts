/**
 * The explorer's producer of a block sealed by the embedded Clique node is the authority (recovered
 * from the seal in extraData); a tampered header yields null, not a wrong address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_AUTHORITY_KEY } from '../../chain/node.ts';
import { devNode } from '../../../test/chain/helpers.ts';
import { blockProducer, type RpcBlockHeader } from './cliqueProducer.ts';

test('the producer of a Clique block is recovered from its seal', async () => {
  const { node, close } = await devNode();
  try {
    await node.request({ method: 'evm_mine', params: [] }).catch(() => node.request({ method: 'medchain_seal', params: [] }).catch(() => undefined));
    const latest = await node.request({ method: 'eth_getBlockByNumber', params: ['latest', false] }) as RpcBlockHeader;
    assert.equal(BigInt(latest.miner), 0n, 'Clique leaves miner zero');
    assert.equal(await blockProducer(latest), privateKeyToAccount(DEV_AUTHORITY_KEY).address);
    const tampered = { ...latest, timestamp: `0x${(BigInt(latest.timestamp) + 1n).toString(16)}` as const };
    assert.equal(await blockProducer(tampered), null);
  } finally {
    await close();
  }
});
