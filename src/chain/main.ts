/**
 * Starts the embedded node from flags and serves JSON-RPC until SIGINT/SIGTERM.
 *
 *   tsx src/chain/main.ts --data-dir ./data/chain [--mode dev|production] [--chain-id 1337]
 *       [--host 127.0.0.1] [--port 8545] [--block-period-ms 1000]
 *       [--authority-keystore authority.json | --authority-key-file key.hex] [--admin-api]
 *
 * The authority key comes from an encrypted keystore (src/crypto/keystore; passphrase in the
 * MEDCHAIN_AUTHORITY_PASSPHRASE environment variable or --passphrase-file), or as raw hex from
 * --authority-key-file / MEDCHAIN_AUTHORITY_KEY. Never from the command line (visible in `ps`).
 * Prints one JSON line `{"event":"listening",...}` on stdout when ready.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decryptKeystore } from '../crypto/keystore.ts';
import { createNode, type AuthorityKey } from './node.ts';
import type { Hex } from './types.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    mode: { type: 'string', default: 'production' },
    'chain-id': { type: 'string', default: '1337' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8545' },
    'block-period-ms': { type: 'string' },
    'authority-key-file': { type: 'string' },
    'authority-keystore': { type: 'string' },
    'passphrase-file': { type: 'string' },
    'admin-api': { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`medchain-node: ${message}`);
  process.exit(2);
}

const dataDir = values['data-dir'] ?? fail('--data-dir is required');
const mode = values.mode === 'dev' || values.mode === 'production' ? values.mode : fail('--mode must be dev or production');
const chainId = Number(values['chain-id']);
if (!Number.isSafeInteger(chainId) || chainId <= 0) fail('--chain-id must be a positive integer');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535');
function authorityKey(): AuthorityKey | undefined {
  if (values['authority-keystore']) {
    const password = values['passphrase-file'] ? readFileSync(values['passphrase-file'], 'utf8').replace(/\r?\n$/, '') : process.env.MEDCHAIN_AUTHORITY_PASSPHRASE;
    if (!password) fail('the keystore passphrase is missing (MEDCHAIN_AUTHORITY_PASSPHRASE or --passphrase-file)');
    return {
      keystore: readFileSync(values['authority-keystore'], 'utf8'),
      password,
      decrypt: async (keystore, passphrase) => (await decryptKeystore(keystore, passphrase)).privateKey,
    };
  }
  const keyText = values['authority-key-file'] ? readFileSync(values['authority-key-file'], 'utf8').trim() : process.env.MEDCHAIN_AUTHORITY_KEY;
  if (keyText !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(keyText)) fail('authority key must be 0x followed by 64 hex digits');
  return keyText as Hex | undefined;
}

let node: Awaited<ReturnType<typeof createNode>>;
try {
  node = await createNode({
    dataDir, mode, chainId,
    authorityKey: authorityKey(),
    blockPeriodMs: values['block-period-ms'] !== undefined ? Number(values['block-period-ms']) : undefined,
  });
} catch (e) {
  fail((e as Error).message.split('\n')[0]!);
}
const server = await node.listen({ host: values.host, port, admin: values['admin-api'] });
console.log(JSON.stringify({ event: 'listening', httpUrl: server.httpUrl, wsUrl: server.wsUrl, chainId, mode, head: Number(node.chain.head.header.number) }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.close();
  await node.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
