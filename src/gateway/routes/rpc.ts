/**
 * `POST /rpc`: the chain's JSON-RPC, passed through for browsers and CLIs that reach only the
 * gateway. Read methods and `eth_sendRawTransaction` (transactions signed in the client) only —
 * nothing that unlocks or administers the node. Batches are allowed up to a bound.
 */
import { Hono } from 'hono';
import type { EIP1193RequestFn } from 'viem';

const ALLOWED = new Set([
  'eth_chainId', 'net_version', 'web3_clientVersion', 'eth_blockNumber', 'eth_getBlockByNumber', 'eth_getBlockByHash',
  'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getTransactionCount', 'eth_getBalance', 'eth_getCode',
  'eth_call', 'eth_estimateGas', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_feeHistory', 'eth_sendRawTransaction', 'eth_getLogs', 'eth_syncing',
]);
const MAX_BATCH = 50;

interface RpcRequest { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown }

export function rpcRoutes(request: EIP1193RequestFn) {
  const app = new Hono();
  const one = async (call: RpcRequest) => {
    const id = call?.id ?? null;
    if (typeof call !== 'object' || call === null || typeof call.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    if (!ALLOWED.has(call.method)) return { jsonrpc: '2.0', id, error: { code: -32601, message: `method ${call.method} is not available through the gateway` } };
    try {
      const result = await request({ method: call.method, params: Array.isArray(call.params) ? call.params : [] } as never);
      return { jsonrpc: '2.0', id, result };
    } catch (error) {
      const e = error as { code?: number; message?: string; data?: unknown; cause?: { code?: number; data?: unknown } };
      return { jsonrpc: '2.0', id, error: { code: e.code ?? e.cause?.code ?? -32603, message: e.message?.split('\n')[0] ?? 'error', data: e.data ?? e.cause?.data } };
    }
  };
  app.post('/', async (c) => {
    let body: unknown;
    try { body = await c.req.json(); } catch { return c.json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }, 400); }
    if (Array.isArray(body)) {
      if (body.length === 0 || body.length > MAX_BATCH) return c.json({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `batches hold 1 to ${MAX_BATCH} calls` } }, 400);
      return c.json(await Promise.all(body.map((call) => one(call as RpcRequest))));
    }
    return c.json(await one(body as RpcRequest));
  });
  return app;
}
