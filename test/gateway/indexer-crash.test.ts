/**
 * The indexer never skips or doubles an event: it runs in a child process that is killed with
 * SIGKILL at random moments while transactions keep coming, and restarted each time; at the end
 * the SQL index holds every chain event exactly once, and its derived tables match the chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createNode, DEV_ACCOUNT_KEYS } from '../../src/chain/node.ts';
import { deployMedChain, IdentityAbi, medChainContracts, Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { opaquePurpose } from '../purposes.ts';

function startChild(rpcUrl: string, dbPath: string, addresses: unknown): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'indexerChild.ts'), rpcUrl, dbPath, JSON.stringify(addresses)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`indexer child exited early (${code})`)));
  });
}

test('indexer killed mid-stream and restarted: every event exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-indexer-crash-'));
  const node = await createNode({ dataDir: join(dir, 'chain'), chainId: 1337, mode: 'dev', devAccounts: DEV_ACCOUNT_KEYS.slice(0, 4) });
  const server = await node.listen({ port: 0 });
  try {
    const chain = defineChain({ id: 1337, name: 'dev', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [server.httpUrl] } } });
    const transport = http(server.httpUrl);
    const client = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient;
    const [admin, patient, doctor] = DEV_ACCOUNT_KEYS.slice(0, 3).map((k) => createWalletClient({ account: privateKeyToAccount(k as Hex), chain, transport }));
    const addresses = await deployMedChain(admin!, client);
    const c = (w: typeof admin) => medChainContracts(w!, addresses);
    const wait = async (hash: Promise<Hex>) => client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
    await wait(c(patient).identity.write.registerPatient([`0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`]));
    await wait(c(doctor).identity.write.applyAsProvider([0, `0x${'33'.repeat(32)}`, `0x${'44'.repeat(32)}`]));
    await wait(c(admin).identity.write.approve([addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [doctor!.account.address] })]));

    const dbPath = join(dir, 'index.sqlite');
    let child = await startChild(server.httpUrl, dbPath, addresses);
    const kills = 5;
    for (let round = 0; round < kills; round++) {
      // Produce events while the indexer runs, then kill it at a random moment.
      const now = (await client.getBlock()).timestamp;
      for (let i = 0; i < 6; i++) {
        await wait(c(patient).consent.write.grant([{ grantee: doctor!.account.address, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 1000n + BigInt(i) }]));
      }
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = await startChild(server.httpUrl, dbPath, addresses);
    }
    // Let the last child catch up, then compare with the chain.
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const db = new BetterSqlite3(dbPath, { readonly: true });
    const deadline = Date.now() + 30_000;
    const indexedUpTo = () => Number((db.prepare('SELECT next_block FROM indexer_cursor').get() as { next_block: number } | undefined)?.next_block ?? 0);
    while (indexedUpTo() <= Number(head) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    const logs = await client.getLogs({ address: Object.values(addresses).filter((a) => a !== addresses.token), fromBlock: 0n, toBlock: head });
    const rows = db.prepare('SELECT tx_hash, log_index FROM chain_events WHERE block_number <= ?').all(Number(head)) as Array<{ tx_hash: string; log_index: number }>;
    const key = (h: string, i: number) => `${h.toLowerCase()}:${i}`;
    assert.deepEqual(new Set(rows.map((r) => key(r.tx_hash, r.log_index))), new Set(logs.map((l) => key(l.transactionHash, l.logIndex))), 'the same events');
    assert.equal(rows.length, logs.length, 'each once');
    const grants = db.prepare('SELECT COUNT(*) AS n, SUM(CASE WHEN revoked_block IS NULL THEN 0 ELSE 1 END) AS superseded FROM grants').get() as { n: number; superseded: number };
    assert.equal(grants.n, kills * 6);
    assert.equal(grants.superseded, kills * 6 - 1, 'each new grant superseded the previous one exactly once');
    db.close();
  } finally {
    await server.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
