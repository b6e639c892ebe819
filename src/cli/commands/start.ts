/**
 * `medchain start` and `medchain init`: the node, the contracts, the gateway and the web UI on
 * embedded defaults (see ../start.ts); `--demo` seeds a demo hospital once (see ../demo/seed.ts).
 */
import type { Command, CommandContext, Values } from '../command.ts';
import { str } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import type { StartOptions } from '../start.ts';

// The node, the gateway and their dependencies load only for these two commands.
const runtime = () => import('../start.ts');

// Each role's keystore has its own passphrase source (src/cli/roleKeys.ts, docs/gateway.md).
const KEY_HELP = `  --operator-passphrase-file <file>
                            passphrase of keys/operator.json [MEDCHAIN_OPERATOR_PASSPHRASE(_FILE)]
                            (default: the data directory passphrase)
  --custodian-passphrase-file <file,file…>
                            passphrases of keys/custodian-0.json, -1.json… in order
                            [MEDCHAIN_CUSTODIAN_<i>_PASSPHRASE(_FILE)] (default: keys/custodian-<i>.passphrase,
                            generated at first run; move it off the host, see docs/crypto.md)
`;

const START_HELP = `  --host <addr>             bind address [MEDCHAIN_HOST] (default 127.0.0.1)
  --port <n>                gateway and web UI port [MEDCHAIN_PORT] (default 8080)
  --rpc-port <n>            embedded node JSON-RPC port [MEDCHAIN_RPC_PORT] (default 8545)
  --rpc-url <url>           use an external chain instead of the embedded node [MEDCHAIN_RPC_URL]
  --demo                    seed a demo hospital on first start (providers, patients, records, grants)
  --demo-patients <n>       how many synthetic patients --demo creates (default 200)
  --database-url <url>      the gateway's SQL on PostgreSQL (postgres://…) instead of SQLite [MEDCHAIN_DATABASE_URL]
  --consortium <file>       join a consortium chain as one hospital (consortium.json; no embedded node,
                            no deploy); with --hospital [MEDCHAIN_CONSORTIUM]
  --hospital <name>         this hospital's name in consortium.json [MEDCHAIN_HOSPITAL]
  --keys-dir <dir>          its operator.json and custodian.json (default: <dir of consortium.json>/<name>),
                            passphrase from MEDCHAIN_CONSORTIUM_PASSPHRASE or --passphrase-file
  --blob-cache-mb <n>       MiB of hot ciphertext kept in memory, 0 = off [MEDCHAIN_BLOB_CACHE_MB] (default 64)
${KEY_HELP}`;

const KEY_OPTIONS = { 'operator-passphrase-file': { type: 'string' }, 'custodian-passphrase-file': { type: 'string' } } as const;

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`, EXIT.usage);
  return n;
}

function mebibytes(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_536) throw new CliError(`${name} must be a whole number of MiB from 0 to 65536, got ${JSON.stringify(value)}`, EXIT.usage);
  return n * 2 ** 20;
}

function startOptions(ctx: CommandContext): StartOptions {
  const v: Values = ctx.values;
  const env = process.env;
  return {
    dataDir: ctx.global.dataDir,
    host: str(v, 'host') ?? env.MEDCHAIN_HOST ?? '127.0.0.1',
    port: port(str(v, 'port') ?? env.MEDCHAIN_PORT ?? '8080', '--port'),
    rpcPort: port(str(v, 'rpc-port') ?? env.MEDCHAIN_RPC_PORT ?? '8545', '--rpc-port'),
    rpcUrl: str(v, 'rpc-url') ?? env.MEDCHAIN_RPC_URL,
    passphraseFile: ctx.global.passphraseFile,
    scryptN: ctx.global.scryptN,
    databaseUrl: str(v, 'database-url') ?? env.MEDCHAIN_DATABASE_URL,
    blobCacheBytes: mebibytes(str(v, 'blob-cache-mb') ?? env.MEDCHAIN_BLOB_CACHE_MB, '--blob-cache-mb'),
    operatorPassphraseFile: str(v, 'operator-passphrase-file'),
    custodianPassphraseFiles: str(v, 'custodian-passphrase-file')?.split(',').map((f) => f.trim()),
  };
}

export const startCommands: Command[] = [
  {
    name: 'start', summary: 'run the node, the gateway and the web UI (first run: create keys, deploy contracts)',
    options: {
      host: { type: 'string' }, port: { type: 'string' }, 'rpc-port': { type: 'string' }, 'rpc-url': { type: 'string' },
      demo: { type: 'boolean' }, 'demo-patients': { type: 'string' }, 'database-url': { type: 'string' }, 'blob-cache-mb': { type: 'string' }, ...KEY_OPTIONS,
      consortium: { type: 'string' }, hospital: { type: 'string' }, 'keys-dir': { type: 'string' },
    },
    help: START_HELP,
    async run(ctx) {
      const options = startOptions(ctx);
      const demoPatients = str(ctx.values, 'demo-patients');
      if (demoPatients !== undefined && !ctx.values.demo) throw new CliError('--demo-patients goes with --demo', EXIT.usage);
      const patients = demoPatients === undefined ? 200 : Number(demoPatients);
      if (!Number.isInteger(patients) || patients < 1 || patients > 100_000) throw new CliError(`--demo-patients must be a whole number from 1 to 100000, got ${JSON.stringify(demoPatients)}`, EXIT.usage);
      const consortium = str(ctx.values, 'consortium') ?? process.env.MEDCHAIN_CONSORTIUM;
      const hospital = str(ctx.values, 'hospital') ?? process.env.MEDCHAIN_HOSPITAL;
      if ((consortium === undefined) !== (hospital === undefined)) throw new CliError('--consortium and --hospital go together', EXIT.usage);
      if (str(ctx.values, 'keys-dir') !== undefined && consortium === undefined) throw new CliError('--keys-dir goes with --consortium', EXIT.usage);
      if (consortium !== undefined && ctx.values.demo) throw new CliError('--demo seeds the embedded node; it cannot be combined with --consortium', EXIT.usage);
      const explicitPort = str(ctx.values, 'port') ?? process.env.MEDCHAIN_PORT;
      const running = consortium !== undefined
        ? await (await import('../startHospital.ts')).startHospital({
          file: consortium, hospital: hospital!, keysDir: str(ctx.values, 'keys-dir'), dataDir: options.dataDir, host: options.host,
          port: explicitPort === undefined ? undefined : options.port, rpcUrl: options.rpcUrl, passphraseFile: options.passphraseFile, databaseUrl: options.databaseUrl,
        }, (l) => process.stderr.write(`${l}\n`))
        : await (await runtime()).start({ ...options, demo: ctx.values.demo ? { patients } : undefined });
      process.stdout.write(`${JSON.stringify({ event: 'started', url: running.gateway.url, rpcUrl: running.rpcUrl, addresses: running.deployment.addresses, demo: running.demo })}\n`);
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal}: stopping (finishing writes)…\n`);
        running.stop().then(() => process.exit(0), (error: Error) => {
          process.stderr.write(`medchain: stop failed: ${error.message}\n`);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    },
  },
  {
    name: 'init', summary: 'create the data directory\'s keys and config only',
    options: { host: { type: 'string' }, port: { type: 'string' }, 'rpc-port': { type: 'string' }, 'rpc-url': { type: 'string' }, ...KEY_OPTIONS },
    help: KEY_HELP,
    async run(ctx) {
      const options = startOptions(ctx);
      const { firstRun } = await (await runtime()).initDataDir(options, (l) => process.stderr.write(`${l}\n`));
      process.stdout.write(firstRun ? `initialized ${options.dataDir}\n` : `${options.dataDir} is already initialized\n`);
    },
  },
];
