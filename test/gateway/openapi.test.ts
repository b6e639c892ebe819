// /openapi.json lists every route the gateway mounts, with request bodies from the routes' own schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiPath } from '../../src/gateway/http/openapi.ts';
import { gatewayHarness, httpCall } from './harness.ts';

test('/openapi.json: every mounted route is documented, bodies carry the validation schemas', async () => {
  const h = await gatewayHarness();
  try {
    const response = await httpCall(h.gateway.url, 'GET', '/openapi.json');
    assert.equal(response.status, 200);
    const doc = response.json as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
    assert.equal(doc.openapi, '3.1.0');
    const mounted = h.gateway.app.routes
      .filter((r) => ['GET', 'POST', 'PUT', 'DELETE'].includes(r.method) && !r.path.includes('*'))
      .map((r) => ({ method: r.method.toLowerCase(), path: openApiPath(r.path.replace(/(.)\/$/, '$1')) }));
    assert.ok(mounted.length > 40, `found ${mounted.length} routes`);
    const missing = mounted.filter((r) => !doc.paths[r.path]?.[r.method]).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(missing, [], 'every route is in /openapi.json');
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    const stale = documented.filter((d) => !mounted.some((r) => `${r.method} ${r.path}` === d));
    assert.deepEqual(stale, [], 'nothing documented that is not mounted');
    const relay = doc.paths['/api/grants/relay']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(relay.properties!).sort(), ['deadline', 'patient', 'requestId', 'signature', 'terms']);
  } finally {
    await h.close();
  }
});
