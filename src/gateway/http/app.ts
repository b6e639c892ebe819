/**
 * The gateway's HTTP foundation (Hono): security headers, an explicit CORS allowlist, body size
 * limits, per-client rate limits, request ids, structured access logs without PHI or secrets,
 * Prometheus metrics at /metrics, readiness at /healthz and one error policy (errors.ts).
 * Routes are mounted on the returned app by the gateway server.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { getConnInfo } from '@hono/node-server/conninfo';
import { rateLimiter } from 'hono-rate-limiter';
import pino, { type Logger } from 'pino';
import { prettyDestination, wantPretty } from './prettyLog.ts';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errorHandler, errorResponse } from './errors.ts';

export interface GatewayAppOptions {
  /** Origins allowed to call the API from a browser (the UI is same-origin and needs none). */
  corsOrigins?: string[];
  /** Largest request body in bytes (default 1 MiB; blob uploads have their own limit). */
  bodyLimitBytes?: number;
  blobLimitBytes?: number;
  /** Requests per minute per client address (default 600). */
  rateLimitPerMinute?: number;
  /** Readiness probes; each throws when its dependency is unreachable. */
  probes?: Record<string, () => Promise<unknown>>;
  logger?: Logger;
}

/** Paths whose values are secrets or may carry personal data: never logged. */
export const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'token', 'signature', 'passphrase', 'privateKey', 'body'];

export function createLogger(options: pino.LoggerOptions = {}): Logger {
  const config = { level: process.env.MEDCHAIN_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'medchain-gateway' }, ...options };
  // JSON lines to a file or a pipe; human lines on a terminal (./prettyLog.ts).
  return wantPretty() ? pino(config, prettyDestination()) : pino(config);
}

export function createGatewayApp(options: GatewayAppOptions = {}) {
  const log = options.logger ?? createLogger();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'medchain_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({ name: 'medchain_http_request_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'], registers: [registry], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

  const app = new Hono();
  app.onError(errorHandler(log));
  app.notFound((c) => errorResponse(c, 404, `no route for ${c.req.method} ${c.req.path}`));

  app.use('*', requestId());
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath || 'unmatched';
    const seconds = (performance.now() - started) / 1000;
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    latency.observe({ method: c.req.method, route }, seconds);
    // Route pattern, not the concrete path: ids and addresses in paths stay out of the logs.
    log.info({ reqId: c.get('requestId'), method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
  });
  app.use('*', secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'],
      // blob: frames only, for the web UI's inline PDF preview of a decrypted attachment: the bytes
      // never reach the server in clear, so the page frames an object URL it made itself (only
      // same-origin script can mint blob: URLs of this origin). Plugins stay off (object-src).
      frameSrc: ['blob:'],
      connectSrc: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'self'"],
    },
    crossOriginEmbedderPolicy: false,
  }));
  app.use('*', cors({
    origin: (origin) => (options.corsOrigins ?? []).includes(origin) ? origin : null,
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowHeaders: ['authorization', 'content-type', 'last-event-id'],
    maxAge: 600,
  }));
  const clientKey = (c: Parameters<Parameters<typeof app.use>[1]>[0]) => {
    try { return getConnInfo(c).remote.address ?? 'unknown'; } catch { return 'unknown'; }
  };
  app.use('*', rateLimiter({
    windowMs: 60_000,
    limit: options.rateLimitPerMinute ?? 600,
    standardHeaders: 'draft-6',
    keyGenerator: (c) => clientKey(c),
    handler: (c) => errorResponse(c, 429, 'too many requests: slow down and retry after the window', 'throttled', { 'retry-after': '60' }),
  }));
  const limit = options.bodyLimitBytes ?? 2 ** 20;
  const blobLimit = options.blobLimitBytes ?? 64 * 2 ** 20;
  // The rest of an oversized body is not read, so the connection cannot be reused: close it.
  const limiter = (max: number) => bodyLimit({ maxSize: max, onError: (cc) => errorResponse(cc, 413, `request body larger than ${max} bytes`, 'too-costly', { connection: 'close' }) });
  const bodyLimiter = limiter(limit);
  const blobLimiter = limiter(blobLimit);
  app.use('*', async (c, next) => {
    // Reads carry no body; asking for one would make the Node adapter build a full Request.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return (c.req.path === '/api/blobs' ? blobLimiter : bodyLimiter)(c, next);
  });

  app.get('/healthz', async (c) => {
    const failing: Record<string, string> = {};
    await Promise.all(Object.entries(options.probes ?? {}).map(async ([name, probe]) => {
      try { await probe(); } catch (error) { failing[name] = (error as Error).message.split('\n')[0]!.slice(0, 200); }
    }));
    if (Object.keys(failing).length > 0) return c.json({ status: 'unavailable', failing }, 503);
    return c.json({ status: 'ok' });
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));

  return { app, log, registry };
}
