/**
 * JSON-RPC 2.0 over HTTP (POST, batches) and WebSocket (`ws`, with `eth_subscribe` for
 * `newHeads`, `logs` and `newPendingTransactions`). Malformed input gets a JSON-RPC error, never
 * a crash: every request is parsed and dispatched inside try/catch, bodies are size-limited.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { SealedBlockView, type SealedBlock } from './blockView.ts';
import { ErrorCode, RpcError } from './errors.ts';
import { handle, type RpcContext } from './rpc.ts';
import { headerJson } from './rpc/format.ts';
import { logsOfBlock, parseLogFilter, type LogFilter } from './rpc/logs.ts';

export interface ServerHandle { httpUrl: string; wsUrl: string; close(): Promise<void> }

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const MAX_BATCH = 1000;

type Json = Record<string, unknown>;

function errorObject(e: unknown) {
  if (e instanceof RpcError) return { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) };
  // Unexpected failures: a short message, no stack and no request contents.
  return { code: ErrorCode.internal, message: `internal error: ${(e as Error)?.message?.split('\n')[0]?.slice(0, 200) ?? 'unknown'}` };
}

interface Subscriptions { subscribe(kind: string, params: unknown[]): string; unsubscribe(id: string): boolean }

async function one(ctx: RpcContext, req: unknown, subs?: Subscriptions): Promise<Json | undefined> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    return { jsonrpc: '2.0', id: null, error: { code: ErrorCode.invalidRequest, message: 'invalid request' } };
  }
  const r = req as Json;
  const id = r.id;
  const validId = id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
  if (!validId || typeof r.method !== 'string' || (r.jsonrpc !== undefined && r.jsonrpc !== '2.0')) {
    return { jsonrpc: '2.0', id: validId ? (id ?? null) : null, error: { code: ErrorCode.invalidRequest, message: 'invalid request' } };
  }
  try {
    let result: unknown;
    if (r.method === 'eth_subscribe' || r.method === 'eth_unsubscribe') {
      if (!subs) throw new RpcError(ErrorCode.methodNotFound, 'notifications not supported over HTTP; use WebSocket');
      const p = Array.isArray(r.params) ? r.params : [];
      result = r.method === 'eth_subscribe' ? subs.subscribe(String(p[0]), p.slice(1)) : subs.unsubscribe(String(p[0]));
    } else {
      result = await handle(ctx, r.method, r.params);
    }
    if (id === undefined) return undefined; // notification
    return { jsonrpc: '2.0', id, result: result ?? null };
  } catch (e) {
    return { jsonrpc: '2.0', id: id ?? null, error: errorObject(e) };
  }
}

/** Handles one JSON-RPC message (single or batch); `undefined` when nothing is to be sent back. */
export async function processMessage(ctx: RpcContext, body: string, subs?: Subscriptions): Promise<string | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.parse, message: 'parse error' } });
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.invalidRequest, message: 'empty batch' } });
    if (parsed.length > MAX_BATCH) return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.invalidRequest, message: `batch larger than ${MAX_BATCH}` } });
    const out: Json[] = [];
    for (const req of parsed) {
      const res = await one(ctx, req, subs);
      if (res) out.push(res);
    }
    return out.length ? JSON.stringify(out) : undefined;
  }
  const res = await one(ctx, parsed, subs);
  return res ? JSON.stringify(res) : undefined;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return; // discard the rest
      size += c.length;
      if (size > MAX_BODY_BYTES) { tooLarge = true; chunks.length = 0; resolve(undefined); return; }
      chunks.push(c);
    });
    req.on('end', () => { if (!tooLarge) resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    'content-type': 'application/json',
    // Browsers (the MedChain UI, wallets) call the node directly; it only holds public chain data.
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'content-type',
    'access-control-allow-methods': 'POST, OPTIONS',
  });
  res.end(body);
}

export async function startServer(ctx: RpcContext, host: string, port: number): Promise<ServerHandle> {
  const http = createServer(async (req, res) => {
    try {
      if (req.method === 'OPTIONS') return send(res, 204, '');
      if (req.method !== 'POST') return send(res, 405, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.invalidRequest, message: 'use POST' } }));
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.invalidRequest, message: 'request too large' } }));
      const out = await processMessage(ctx, body);
      send(res, 200, out ?? '');
    } catch (e) {
      if (!res.headersSent) send(res, 500, JSON.stringify({ jsonrpc: '2.0', id: null, error: errorObject(e) }));
    }
  });
  http.keepAliveTimeout = 30_000;
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_BODY_BYTES });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    const subs = new Map<string, { kind: string; filter?: LogFilter }>();
    const notify = (subscription: string, result: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }));
    };
    const onBlock = (sealed: SealedBlock) => {
      const view = SealedBlockView.fromSealed(sealed, ctx.chain.common);
      for (const [id, sub] of subs) {
        if (sub.kind === 'newHeads') notify(id, headerJson(view.header, view.hash));
        else if (sub.kind === 'logs') for (const log of logsOfBlock(view, sub.filter!)) notify(id, log);
      }
    };
    const onPending = (hash: string) => { for (const [id, sub] of subs) if (sub.kind === 'newPendingTransactions') notify(id, hash); };
    ctx.chain.on('block', onBlock);
    ctx.chain.on('pending', onPending);
    const handle: Subscriptions = {
      subscribe(kind, params) {
        if (kind !== 'newHeads' && kind !== 'logs' && kind !== 'newPendingTransactions') throw new RpcError(ErrorCode.invalidParams, `unsupported subscription ${kind}`);
        const filter = kind === 'logs' ? parseLogFilter(params[0] ?? {}, 0n) : undefined;
        const id = `0x${randomBytes(16).toString('hex')}`;
        subs.set(id, { kind, filter });
        return id;
      },
      unsubscribe(id) { return subs.delete(id); },
    };
    ws.on('message', async (data, isBinary) => {
      try {
        const out = await processMessage(ctx, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString(), handle);
        if (out && ws.readyState === ws.OPEN) ws.send(out);
      } catch { /* processMessage never throws; socket may have closed */ }
    });
    ws.on('close', () => {
      sockets.delete(ws);
      ctx.chain.off('block', onBlock);
      ctx.chain.off('pending', onPending);
    });
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    wss.once('error', () => undefined); // ws re-emits the http server's listen error (EADDRINUSE); `reject` above reports it
    http.listen(port, host, () => resolve());
  });
  const addr = http.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    httpUrl: `http://${shown}:${addr.port}`,
    wsUrl: `ws://${shown}:${addr.port}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
