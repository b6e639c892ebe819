/**
 * Read-only chain views for the admin and explorer screens (REST, under /api):
 *
 *   GET /api/config                     chain id, contract addresses, break-glass escrow custodians (anyone: sign-in needs it)
 *   GET /api/providers                  providers with status, kind, score and MED balance (leaderboard order)
 *   GET /api/validators                 Incentives.getValidators(), maxValidators, rewards
 *   GET /api/explorer/blocks?count=n    latest blocks (transaction hashes only)
 *   GET /api/explorer/tx/:hash          a transaction, its receipt and its MedChain events decoded (members: their own)
 *   GET /api/explorer/events?limit=n    latest MedChain events from the index (members: the events about them)
 *   GET /api/admin/actions              governance actions waiting for more admin approvals, decoded (auditors, admins)
 *
 * Who may call what is auth/chainAccessPolicy.ts (EXPLORER_ROUTES), the table in docs/gateway.md.
 */
import { Hono, type Context } from 'hono';
import { allows, audienceOf, EXPLORER_ROUTES, transactionConcerns, type ChainAudience } from '../auth/chainAccessPolicy.ts';
import { decodeFunctionData, getAddress, parseEventLogs, type Abi, type Hex } from 'viem';
import { AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, RecordRegistryAbi, StudiesAbi } from '../../sdk/contracts.ts';
import { blockProducer, type RpcBlockHeader } from '../explorer/cliqueProducer.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { fail } from './validation.ts';

const ALL_ABIS = [...IdentityAbi, ...ConsentAbi, ...RecordRegistryAbi, ...IncentivesAbi, ...MedTokenAbi, ...AccessLogAnchorAbi, ...StudiesAbi] as Abi;
const plain = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
const kinds = ['doctor', 'lab', 'hospital', 'pharmacy', 'other', 'research'];

function boundedInt(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(400, `expected an integer between 1 and ${max}`);
  return n;
}

/** Refuses callers below the route's audience: 401 without a session, 403 for members on oversight routes. */
function admit(c: Context<GatewayEnv>, route: keyof typeof EXPLORER_ROUTES): ChainAudience {
  const have = audienceOf(c.get('session'));
  const need = EXPLORER_ROUTES[route];
  if (allows(have, need)) return have;
  if (have === 'anonymous') fail(401, 'sign in first (POST /auth/nonce, then /auth/verify)');
  fail(403, 'auditors and admins only');
}

export function chainInfoRoutes(deps: DataRouteDeps & { chainId: number }) {
  const app = new Hono<GatewayEnv>();
  const incentives = { address: deps.addresses.incentives, abi: IncentivesAbi } as const;

  app.get('/config', (c) => c.json({ chainId: deps.chainId, addresses: deps.addresses, escrow: deps.custodian.policy }));

  app.get('/providers', async (c) => {
    admit(c, 'providers');
    const rows = await deps.index.query<{ address: string; kind: number | string; status: string }>('SELECT address, kind, status FROM providers ORDER BY address');
    const providers = await Promise.all(rows.map(async (r) => {
      const address = getAddress(r.address);
      const [score, balance] = await Promise.all([
        deps.client.readContract({ ...incentives, functionName: 'contributionScore', args: [address] }),
        deps.client.readContract({ address: deps.addresses.token, abi: MedTokenAbi, functionName: 'balanceOf', args: [address] }),
      ]);
      return { address, kind: kinds[Number(r.kind)] ?? 'other', status: r.status, score: Number(score), balance: balance.toString() };
    }));
    providers.sort((a, b) => b.score - a.score || a.address.localeCompare(b.address));
    return c.json({ providers });
  });

  app.get('/validators', async (c) => {
    admit(c, 'validators');
    const [validators, maxValidators, authorReward, producerReward] = await Promise.all([
      deps.client.readContract({ ...incentives, functionName: 'getValidators' }),
      deps.client.readContract({ ...incentives, functionName: 'maxValidators' }),
      deps.client.readContract({ ...incentives, functionName: 'authorReward' }),
      deps.client.readContract({ ...incentives, functionName: 'producerReward' }),
    ]);
    return c.json({ validators, maxValidators: Number(maxValidators), authorReward: authorReward.toString(), producerReward: producerReward.toString() });
  });

  app.get('/explorer/blocks', async (c) => {
    admit(c, 'blocks');
    const count = boundedInt(c.req.query('count'), 10, 50);
    const head = await deps.client.getBlockNumber({ cacheTime: 0 });
    const numbers = Array.from({ length: Math.min(count, Number(head) + 1) }, (_, i) => head - BigInt(i));
    const blocks = await Promise.all(numbers.map((n) => deps.client.request({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] }) as Promise<RpcBlockHeader & { transactions: Hex[] }>));
    return c.json({
      blocks: await Promise.all(blocks.map(async (b) => ({
        number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp), miner: b.miner, producer: await blockProducer(b), transactions: b.transactions, gasUsed: BigInt(b.gasUsed).toString(),
      }))),
    });
  });

  app.get('/explorer/tx/:hash', async (c) => {
    const audience = admit(c, 'tx');
    const hash = c.req.param('hash');
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) fail(400, 'expected a 0x-prefixed 32-byte transaction hash');
    const tx = await deps.client.getTransaction({ hash: hash as Hex }).catch(() => undefined);
    if (!tx) fail(404, 'no such transaction');
    const receipt = await deps.client.getTransactionReceipt({ hash: hash as Hex });
    // Someone else's transaction is answered as an unknown one is.
    if (audience === 'member' && !transactionConcerns(tx, receipt.logs, c.get('session').address)) fail(404, 'no such transaction');
    const events = parseEventLogs({ abi: ALL_ABIS, logs: receipt.logs }).map((e) => ({ name: e.eventName, address: e.address, args: plain(e.args) }));
    return c.json({ hash, from: tx.from, to: tx.to, blockNumber: Number(tx.blockNumber), status: receipt.status, gasUsed: receipt.gasUsed.toString(), events });
  });

  app.get('/explorer/events', async (c) => {
    const audience = admit(c, 'events');
    const limit = boundedInt(c.req.query('limit'), 50, 500);
    type Row = { tx_hash: string; log_index: number; block_number: number | string; contract: string; name: string; args: string };
    const columns = 'SELECT tx_hash, log_index, block_number, contract, name, args FROM chain_events';
    const order = 'ORDER BY block_number DESC, log_index DESC';
    const rows = audience === 'oversight'
      ? await deps.index.query<Row>(`${columns} ${order} LIMIT $1`, [limit])
      : await deps.index.query<Row>(`${columns} WHERE subject = $1 ${order} LIMIT $2`, [c.get('session').address.toLowerCase(), limit]);
    return c.json({ events: rows.map((r) => ({ txHash: r.tx_hash, logIndex: Number(r.log_index), blockNumber: Number(r.block_number), contract: r.contract, name: r.name, args: JSON.parse(r.args) })) });
  });

  // Pending governance: approvals come from the indexed ActionApproved events; the call itself is
  // read back from the approving transaction, and Identity.pendingAction says whether the action
  // is still open in the current epoch (executed or superseded actions drop out).
  app.get('/admin/actions', async (c) => {
    admit(c, 'adminActions');
    const rows = await deps.index.query<{ tx_hash: Hex; args: string }>(
      `SELECT tx_hash, args FROM chain_events WHERE contract = 'identity' AND name = 'ActionApproved' ORDER BY block_number, log_index`);
    const byAction = new Map<string, { txHash: Hex; approvers: string[] }>();
    for (const row of rows) {
      const args = JSON.parse(row.args) as { actionId: string; admin: string };
      const entry = byAction.get(args.actionId) ?? { txHash: row.tx_hash, approvers: [] };
      entry.approvers.push(getAddress(args.admin));
      byAction.set(args.actionId, entry);
    }
    const identity = { address: deps.addresses.identity, abi: IdentityAbi } as const;
    const pending = [];
    for (const [actionId, { txHash, approvers }] of byAction) {
      const tx = await deps.client.getTransaction({ hash: txHash }).catch(() => undefined);
      if (!tx) continue;
      let target: Hex; let data: Hex;
      try {
        const decoded = decodeFunctionData({ abi: IdentityAbi, data: tx.input });
        if (decoded.functionName !== 'approve') continue;
        [target, data] = decoded.args as [Hex, Hex];
      } catch { continue; } // approved through a contract wallet: the call is not in the input
      const [currentId, approvals, threshold] = await deps.client.readContract({ ...identity, functionName: 'pendingAction', args: [target, data] });
      if (currentId !== actionId || approvals === 0n) continue;
      let call: { functionName: string; args: unknown } | null = null;
      try {
        const decoded = decodeFunctionData({ abi: ALL_ABIS, data });
        call = { functionName: decoded.functionName, args: plain(decoded.args ?? []) };
      } catch { /* an unknown call stays raw */ }
      pending.push({ actionId, target: getAddress(target), data, call, approvals: Number(approvals), threshold: Number(threshold), approvers });
    }
    return c.json({ pending });
  });

  return app;
}
