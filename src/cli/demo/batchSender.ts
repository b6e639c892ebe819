/**
 * Sends many contract calls at once: each signed here with an explicit nonce, gas limit and zero
 * fees (the embedded node's gas is free and its base fee zero), handed to the node without waiting
 * for blocks, then all receipts awaited together. The seeder goes a round at a time, so a round's
 * calls may depend on the previous round's state but never on each other across senders.
 */
import { encodeFunctionData, type Abi, type Address, type EIP1193RequestFn, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';

export interface Call { from: PrivateKeyAccount; to: Address; abi: Abi; functionName: string; args: readonly unknown[]; gas?: bigint; label?: string }

export function createBatchSender(provider: { request: EIP1193RequestFn }, chainId: number) {
  const nonces = new Map<string, number>();
  const rpc = (method: string, params: unknown[]) => provider.request({ method, params } as never) as Promise<unknown>;

  async function nonceOf(address: Address): Promise<number> {
    let n = nonces.get(address);
    if (n === undefined) n = Number(await rpc('eth_getTransactionCount', [address, 'pending']));
    nonces.set(address, n + 1);
    return n;
  }

  /** Signs and sends every call (senders' nonces in order), then waits for all receipts; throws on the first revert. */
  async function round(calls: Call[], onMined?: (count: number) => void): Promise<Array<{ hash: Hex; logs: unknown[] }>> {
    const hashes: Hex[] = [];
    for (const call of calls) {
      const raw = await call.from.signTransaction({
        chainId, type: 'eip1559', to: call.to, nonce: await nonceOf(call.from.address), gas: call.gas ?? 600_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n,
        data: encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never),
      });
      hashes.push(await rpc('eth_sendRawTransaction', [raw]) as Hex);
    }
    // A sender's transactions are mined in nonce order, so only each sender's last one is polled;
    // when every sender's last is mined, all receipts are read once.
    const lastOf = new Map<string, number>();
    calls.forEach((c, i) => lastOf.set(c.from.address, i));
    const sentBy = new Map<string, number>();
    for (const c of calls) sentBy.set(c.from.address, (sentBy.get(c.from.address) ?? 0) + 1);
    const deadline = Date.now() + 120_000 + hashes.length * 100;
    while (lastOf.size > 0) {
      if (Date.now() > deadline) throw new Error(`demo transactions of ${lastOf.size} sender(s) not mined within the deadline`);
      await new Promise((r) => setTimeout(r, 200));
      await Promise.all([...lastOf].map(async ([sender, i]) => {
        if (await rpc('eth_getTransactionReceipt', [hashes[i]])) {
          lastOf.delete(sender);
          onMined?.(sentBy.get(sender)!);
        }
      }));
    }
    const receipts = await Promise.all(hashes.map((hash) => rpc('eth_getTransactionReceipt', [hash]) as Promise<{ status: string; logs: unknown[] } | null>));
    const missing = receipts.findIndex((r) => r === null);
    if (missing >= 0) throw new Error(`demo transaction ${calls[missing]!.label ?? calls[missing]!.functionName} was not mined (${hashes[missing]})`);
    const failed = receipts.findIndex((r) => r!.status !== '0x1');
    if (failed >= 0) throw new Error(`demo transaction ${calls[failed]!.label ?? calls[failed]!.functionName} reverted (${hashes[failed]})`);
    return receipts.map((r, i) => ({ hash: hashes[i]!, logs: r!.logs }));
  }

  return { round };
}
