/**
 * The `medchain` command: the dispatcher. `medchain start` runs everything on embedded defaults;
 * `medchain init` only prepares the data directory; the other commands are clients of a running
 * gateway (REST via the SDK) and of the chain (viem over the gateway's /rpc), acting as the key
 * given by --key. Each command group is a file in ./commands. Flags override defaults, and most
 * have a MEDCHAIN_* environment variable.
 * Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 refused by authorization.
 */
import { parseArgs } from 'node:util';
import type { Command, GlobalOptions, Options, Values } from './command.ts';
import { CliError } from './dataDir.ts';
import { describeError, EXIT } from './errors.ts';
import { setQuiet } from './output.ts';
import { startCommands } from './commands/start.ts';
import { keysCommands } from './commands/keys.ts';
import { accountCommands } from './commands/account.ts';
import { grantCommands } from './commands/grant.ts';
import { requestCommands } from './commands/request.ts';
import { recordCommands } from './commands/record.ts';
import { breakGlassCommands } from './commands/breakGlass.ts';
import { auditCommands } from './commands/audit.ts';
import { exportCommands } from './commands/export.ts';
import { adminCommands } from './commands/admin.ts';
import { statusCommands } from './commands/status.ts';
import { consortiumCommands } from './commands/consortium.ts';
import { studyCommands } from './commands/study.ts';

const COMMANDS: Command[] = [
  ...startCommands, ...statusCommands, ...keysCommands, ...accountCommands, ...grantCommands, ...requestCommands,
  ...recordCommands, ...breakGlassCommands, ...auditCommands, ...exportCommands, ...adminCommands,
  ...studyCommands, ...consortiumCommands,
];

const GLOBAL_OPTIONS: Options = {
  gateway: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' },
  'data-dir': { type: 'string' }, 'passphrase-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = `Global options (environment variable in brackets):
  --gateway <url>           the gateway [MEDCHAIN_GATEWAY] (default http://127.0.0.1:8080)
  --key <file|name>         key file of the acting account [MEDCHAIN_KEY]; a name means <data-dir>/keys/<name>.json
  --data-dir <dir>          data directory [MEDCHAIN_DATA_DIR] (default ./data)
  --passphrase-file <file>  keystore passphrase from a file (else MEDCHAIN_PASSPHRASE, else a prompt; never printed)
  --json                    machine-readable output on stdout
  -q, --quiet               print only the id of what the command made (record, grant, request, key address)
An <address> argument may also be a key name: --to drbob means the address in <data-dir>/keys/drbob.json.
  -h, --help                help (also: medchain <command> --help)

Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 refused (denied by the gateway or the contracts).`;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.synopsis ?? ''}`.trimEnd().length));
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.synopsis ?? ''}`.trimEnd().padEnd(width)}  ${c.summary}`);
  return `Usage: medchain <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${GLOBAL_HELP}\nDocumentation: docs/cli.md\n`;
}

function commandHelp(c: Command): string {
  return `Usage: medchain ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''} [options]\n\n${c.summary}\n${c.help ? `\nOptions:\n${c.help.replace(/\n$/, '')}\n` : ''}\n${GLOBAL_HELP}\n`;
}

/** The command words: the leading bare words, skipping global flags (and their values) before them. */
function commandWords(argv: string[]): { words: string[]; command: Command | undefined } {
  const bare: string[] = [];
  for (let i = 0; i < argv.length && bare.length < 2; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      const name = a.replace(/^-+/, '').split('=')[0]!;
      if (!a.includes('=') && GLOBAL_OPTIONS[name]?.type === 'string') i++;
      if (!GLOBAL_OPTIONS[name]) break; // a command's own flag: the words are over
      continue;
    }
    bare.push(a);
  }
  const two = COMMANDS.find((c) => bare.length >= 2 && c.name === `${bare[0]} ${bare[1]}`);
  if (two) return { words: bare.slice(0, 2), command: two };
  const one = COMMANDS.find((c) => c.name === bare[0]);
  return { words: bare.slice(0, 1), command: one };
}

function usageError(message: string, hint: string): never {
  throw new CliError(`${message} (${hint})`, EXIT.usage);
}

async function main(argv: string[]) {
  const { words, command } = commandWords(argv);
  if (!command) {
    if (words[0] === 'help' || argv.length === 0 || (words.length === 0 && (argv.includes('--help') || argv.includes('-h')))) { process.stdout.write(usage()); return; }
    if (words.length === 0) {
      const unknown = argv.find((a) => a.startsWith('-') && !GLOBAL_OPTIONS[a.replace(/^-+/, '').split('=')[0]!]);
      usageError(unknown ? `unknown option ${JSON.stringify(unknown)} before the command` : 'no command given', 'see medchain --help');
    }
    const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
    if (group.length > 0) {
      if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(`Commands:\n${group.map((c) => `  medchain ${c.name} ${c.synopsis ?? ''}`.trimEnd().padEnd(44) + `  ${c.summary}`).join('\n')}\n`); return; }
      usageError(`${words[1] ? `unknown command "${words[0]} ${words[1]}"` : `"${words[0]}" needs a subcommand`}: one of ${group.map((c) => c.name.split(' ')[1]).join(', ')}`, `see medchain ${words[0]} --help`);
    }
    usageError(`unknown command ${JSON.stringify(words[0] ?? argv[0])}`, 'see medchain --help');
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...GLOBAL_OPTIONS, ...command.options } });
  } catch (error) {
    usageError((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''), `see medchain ${command.name} --help`);
  }
  const values = parsed.values as Values;
  if (values.help) { process.stdout.write(commandHelp(command)); return; }
  const args = parsed.positionals.slice(words.length);
  const [min, max] = Array.isArray(command.arity) ? command.arity : [command.arity ?? 0, command.arity ?? 0];
  if (args.length < min || args.length > max) {
    usageError(args.length < min ? `missing argument: medchain ${command.name} ${command.synopsis ?? ''}`.trimEnd() : `unexpected argument ${JSON.stringify(args[max])}`, `see medchain ${command.name} --help`);
  }
  setQuiet(values.quiet === true);
  const env = process.env;
  const global: GlobalOptions = {
    gateway: (values.gateway as string | undefined) ?? env.MEDCHAIN_GATEWAY ?? 'http://127.0.0.1:8080',
    key: (values.key as string | undefined) ?? env.MEDCHAIN_KEY,
    json: values.json === true,
    dataDir: (values['data-dir'] as string | undefined) ?? env.MEDCHAIN_DATA_DIR ?? './data',
    passphraseFile: values['passphrase-file'] as string | undefined,
    scryptN: env.MEDCHAIN_SCRYPT_N ? Number(env.MEDCHAIN_SCRYPT_N) : undefined,
  };
  await command.run({ args, values, global });
}

/** Any failure — returned by a command or thrown later by a server, a socket or a timer — is one line. */
function fail(error: unknown): never {
  const { message, code } = describeError(error);
  process.stderr.write(`medchain: ${message}\n`);
  process.exit(code);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main(process.argv.slice(2)).catch(fail);
