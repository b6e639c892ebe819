/**
 * Foundry's anvil (npm `@foundry-rs/anvil-linux-amd64`), a third EVM engine written independently
 * of ethereumjs and EDR (Rust, revm), started as a child process on a free loopback port and
 * spoken to over real HTTP JSON-RPC. Used by the scenario suite and by the consortium genesis test
 * (`--init genesis.json`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createWalletClient, custom, http, type EIP1193RequestFn, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const require = createRequire(import.meta.url);
export const ANVIL_BIN = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');

export interface AnvilInstance {
  url: string;
  provider: { request: EIP1193RequestFn };
  close(): Promise<void>;
}

/** Starts anvil with `args` (plus `--port 0`), waits for its "Listening on" line. */
export async function startAnvil(args: string[]): Promise<AnvilInstance> {
  const child: ChildProcess = spawn(ANVIL_BIN, [...args, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`anvil did not start in 30 s: ${output.slice(-500)}`)); }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (\S+:\d+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(`http://${match[1]}`); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`anvil exited with ${code}: ${output.slice(-500)}`)); });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const { request } = http(url, { retryCount: 0 })({});
  return {
    url,
    provider: { request },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The provider as a node with unlocked accounts: anvil holds only its own mnemonic's dev accounts,
 * so eth_accounts, eth_sendTransaction, eth_signTypedData_v4 and personal_sign for `keys` are
 * answered by signing here with viem's local accounts (the same signatures any wallet makes);
 * everything else goes to anvil unchanged.
 */
export function withUnlockedAccounts(provider: { request: EIP1193RequestFn }, keys: readonly Hex[]): { request: EIP1193RequestFn } {
  const accounts = new Map(keys.map((k) => { const a = privateKeyToAccount(k); return [a.address.toLowerCase(), a] as const; }));
  const forward = provider.request as (args: { method: string; params?: unknown }) => Promise<unknown>;
  const accountOf = (address: unknown) => {
    const account = accounts.get(String(address).toLowerCase());
    if (!account) throw new Error(`account ${String(address)} is not unlocked`);
    return account;
  };
  const request = (async ({ method, params }: { method: string; params?: unknown }) => {
    const p = (params ?? []) as unknown[];
    switch (method) {
      case 'eth_accounts':
        return [...accounts.values()].map((a) => a.address);
      case 'eth_sendTransaction': {
        const tx = p[0] as { from: Hex; to?: Hex; value?: Hex; data?: Hex; input?: Hex; gas?: Hex };
        const wallet = createWalletClient({ account: accountOf(tx.from), transport: custom({ request: provider.request }) });
        const chainId = Number(await forward({ method: 'eth_chainId' }));
        return wallet.sendTransaction({
          chain: { id: chainId, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } },
          to: tx.to, value: tx.value ? BigInt(tx.value) : undefined, data: tx.input ?? tx.data, gas: tx.gas ? BigInt(tx.gas) : undefined,
        });
      }
      case 'eth_signTypedData_v4': {
        const typed = JSON.parse(String(p[1]));
        return accountOf(p[0]).signTypedData(typed);
      }
      case 'personal_sign':
        return accountOf(p[1]).signMessage({ message: { raw: p[0] as Hex } });
      default:
        return forward({ method, params });
    }
  }) as EIP1193RequestFn;
  return { request };
}
