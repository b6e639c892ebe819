/**
 * `POST /rpc`: the chain's JSON-RPC, passed through for browsers and CLIs that reach only the
 * gateway, under the access policy of auth/chainAccessPolicy.ts (docs/gateway.md § "Who sees the
 * chain"): the session's bearer token (Sign-In with Ethereum) decides what a call may see. A
 * method that needs a session answers HTTP 401 without one; members' answers are scoped to what
 * concerns them; `eth_sendRawTransaction` forwards only transactions signed by the session's own
 * account. Nothing that unlocks or administers the node. Batches are allowed up to a bound.
 */
import { Hono, type Context } from 'hono';
import { recoverTransactionAddress, type Address, type EIP1193RequestFn, type Hex, type TransactionSerialized } from 'viem';
import { allows, audienceOf, logConcerns, RPC_METHODS, transactionConcerns, type ChainAudience } from '../auth/chainAccessPolicy.ts';
import type { GatewayEnv } from './types.ts';

const MAX_BATCH = 50;
/** EIP-1193 §Provider Errors: 4100 Unauthorized (the method or account is not authorized). */
const UNAUTHORIZED = 4100;

interface RpcRequest { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown }
interface RpcLog { topics?: string[] }
interface RpcTx { hash?: string; from?: string; to?: string | null }

class RpcRefusal extends Error {
  constructor(readonly code: number, message: string, readonly httpStatus?: 401) { super(message); }
}

export function rpcRoutes(request: EIP1193RequestFn) {
  const app = new Hono<GatewayEnv>();
  const forward = (method: string, params: unknown[]) => request({ method, params } as never) as Promise<unknown>;

  /** The answer as a member (not oversight) may see it. */
  async function scoped(method: string, params: unknown[], me: Address): Promise<unknown> {
    switch (method) {
      case 'eth_sendRawTransaction': {
        let sender: Address;
        try { sender = await recoverTransactionAddress({ serializedTransaction: params[0] as TransactionSerialized }); }
        catch { throw new RpcRefusal(-32602, 'invalid params: expected a signed transaction (0x-prefixed RLP)'); }
        if (sender.toLowerCase() !== me.toLowerCase()) throw new RpcRefusal(UNAUTHORIZED, `transaction is signed by ${sender}, not by the signed-in account: send your own transactions`);
        return forward(method, params);
      }
      case 'eth_getLogs': {
        const logs = await forward(method, params) as RpcLog[];
        return logs.filter((log) => logConcerns(log, me));
      }
      case 'eth_getTransactionByHash': case 'eth_getTransactionReceipt': {
        const hash = params[0] as Hex;
        const [tx, receipt] = await Promise.all([
          forward('eth_getTransactionByHash', [hash]) as Promise<RpcTx | null>,
          forward('eth_getTransactionReceipt', [hash]) as Promise<{ from?: string; to?: string | null; logs?: RpcLog[] } | null>,
        ]);
        // Someone else's transaction answers as an unknown one does: null.
        if (!transactionConcerns(tx ?? receipt, receipt?.logs ?? [], me)) return null;
        return method === 'eth_getTransactionByHash' ? tx : receipt;
      }
      case 'eth_getBlockByNumber': case 'eth_getBlockByHash': {
        const block = await forward(method, params) as { transactions?: Array<string | RpcTx> } | null;
        if (!block?.transactions) return block;
        // With full transaction objects asked for, others' transactions are left out rather than shown
        // as bare hashes: clients (viem's replacement check in waitForTransactionReceipt) read every
        // entry of such a list as an object. With hashes asked for, hashes reveal nothing more.
        return { ...block, transactions: block.transactions.filter((t) => typeof t === 'string' || transactionConcerns(t, [], me)) };
      }
      default:
        return forward(method, params);
    }
  }

  async function one(call: RpcRequest, audience: ChainAudience, me: Address | undefined) {
    const id = call?.id ?? null;
    if (typeof call !== 'object' || call === null || typeof call.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    const rule = RPC_METHODS[call.method];
    if (!rule) return { jsonrpc: '2.0', id, error: { code: -32601, message: `method ${call.method} is not available through the gateway` } };
    const params = Array.isArray(call.params) ? call.params : [];
    try {
      if (!allows(audience, rule.audience)) {
        throw new RpcRefusal(UNAUTHORIZED, `${call.method} needs a session: sign in (POST /auth/nonce, then /auth/verify) and send Authorization: Bearer <token>`, 401);
      }
      const result = rule.scoped && audience === 'member' ? await scoped(call.method, params, me!) : await forward(call.method, params);
      return { jsonrpc: '2.0', id, result };
    } catch (error) {
      if (error instanceof RpcRefusal) return { jsonrpc: '2.0', id, error: { code: error.code, message: error.message }, httpStatus: error.httpStatus };
      const e = error as { code?: number; message?: string; data?: unknown; cause?: { code?: number; data?: unknown } };
      return { jsonrpc: '2.0', id, error: { code: e.code ?? e.cause?.code ?? -32603, message: e.message?.split('\n')[0] ?? 'error', data: e.data ?? e.cause?.data } };
    }
  }

  const answer = (c: Context<GatewayEnv>, replies: Array<Awaited<ReturnType<typeof one>>>, batch: boolean) => {
    // Any call refused for want of a session makes the whole answer a 401 (what HTTP clients retry on after signing in).
    const status = replies.some((r) => 'httpStatus' in r && r.httpStatus === 401) ? 401 : 200;
    const bodies = replies.map(({ httpStatus: _drop, ...rest }: { httpStatus?: unknown }) => rest);
    return c.json(batch ? bodies : bodies[0], status);
  };

  app.post('/', async (c) => {
    let body: unknown;
    try { body = await c.req.json(); } catch { return c.json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }, 400); }
    const session = c.get('session');
    const audience = audienceOf(session);
    if (Array.isArray(body)) {
      if (body.length === 0 || body.length > MAX_BATCH) return c.json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `batches hold 1 to ${MAX_BATCH} calls` } }, 400);
      return answer(c, await Promise.all(body.map((call) => one(call as RpcRequest, audience, session?.address))), true);
    }
    return answer(c, [await one(body as RpcRequest, audience, session?.address)], false);
  });
  return app;
}
