/**
 * Node's own crypto (OpenSSL: AES-NI and SHA extensions, synchronous, no ArrayBuffer copies) when
 * the code runs on Node; undefined in a browser, where the module falls back to WebCrypto and
 * @noble/hashes. Reached through `process.getBuiltinModule` (Node >= 20.16) instead of an
 * `import 'node:crypto'`, so the web bundle, which imports this module too, never sees a node: import.
 * Both paths produce the same bytes (same AES-256-GCM, same SHA-256); tests check one against the other.
 */
export type NodeCrypto = typeof import('node:crypto');

let resolved: NodeCrypto | null | undefined;

export function nodeCrypto(): NodeCrypto | undefined {
  if (resolved === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    resolved = typeof proc?.getBuiltinModule === 'function' ? ((proc.getBuiltinModule('node:crypto') as NodeCrypto | undefined) ?? null) : null;
  }
  return resolved ?? undefined;
}

/** Runs `fn` on the browser path (WebCrypto + @noble/hashes), for tests that compare both paths. */
export async function withBrowserCrypto<T>(fn: () => Promise<T> | T): Promise<T> {
  const saved = nodeCrypto() ?? null;
  resolved = null;
  try {
    return await fn();
  } finally {
    resolved = saved;
  }
}
