/**
 * The `medchain` command. `medchain start` runs everything on embedded defaults; `medchain init`
 * only prepares the data directory. Flags override defaults, and each flag has a MEDCHAIN_*
 * environment variable. Exit codes: 0 ok, 1 runtime error, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { CliError } from './dataDir.ts';
import { initDataDir, start } from './start.ts';

const USAGE = `Usage: medchain <command> [options]

Commands:
  start     run the node, the gateway and the web UI (first run: create keys, deploy contracts)
  init      create the data directory's keys and config only
  help      show this text

Options (environment variable in brackets):
  --data-dir <dir>          data directory [MEDCHAIN_DATA_DIR] (default ./data)
  --host <addr>             bind address [MEDCHAIN_HOST] (default 127.0.0.1)
  --port <n>                gateway and web UI port [MEDCHAIN_PORT] (default 8080)
  --rpc-port <n>            embedded node JSON-RPC port [MEDCHAIN_RPC_PORT] (default 8545)
  --rpc-url <url>           use an external chain instead of the embedded node [MEDCHAIN_RPC_URL]
  --passphrase-file <file>  keystore passphrase from a file (else MEDCHAIN_PASSPHRASE, else a prompt)
`;

function fail(message: string, code: number): never {
  process.stderr.write(`medchain: ${message}\n`);
  process.exit(code);
}

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`, 2);
  return n;
}

async function main(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        'data-dir': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'rpc-port': { type: 'string' },
        'rpc-url': { type: 'string' }, 'passphrase-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') { process.stdout.write(USAGE); return; }
  const env = process.env;
  const scryptN = env.MEDCHAIN_SCRYPT_N ? Number(env.MEDCHAIN_SCRYPT_N) : undefined; // tests only: cheaper keystores
  const options = {
    dataDir: values['data-dir'] ?? env.MEDCHAIN_DATA_DIR ?? './data',
    host: values.host ?? env.MEDCHAIN_HOST ?? '127.0.0.1',
    port: port(values.port ?? env.MEDCHAIN_PORT ?? '8080', '--port'),
    rpcPort: port(values['rpc-port'] ?? env.MEDCHAIN_RPC_PORT ?? '8545', '--rpc-port'),
    rpcUrl: values['rpc-url'] ?? env.MEDCHAIN_RPC_URL,
    passphraseFile: values['passphrase-file'],
    scryptN,
  };
  if (command === 'init') {
    const { firstRun } = await initDataDir(options, (l) => process.stderr.write(`${l}\n`));
    process.stdout.write(firstRun ? `initialized ${options.dataDir}\n` : `${options.dataDir} is already initialized\n`);
    return;
  }
  if (command !== 'start') throw new CliError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`, 2);
  const running = await start(options);
  process.stdout.write(`${JSON.stringify({ event: 'started', url: running.gateway.url, rpcUrl: running.rpcUrl, addresses: running.deployment.addresses })}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping (finishing writes)…\n`);
    running.stop().then(() => process.exit(0), (error: Error) => fail(`stop failed: ${error.message}`, 1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: Error) => {
  if (error instanceof CliError) fail(error.message, error.exitCode);
  fail(error.message.split('\n')[0] ?? 'failed', 1);
});
