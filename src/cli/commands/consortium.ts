/**
 * `medchain consortium init|node-key`: set up a consortium of hospitals on one Besu QBFT chain
 * (src/consortium/, docs/consortium.md). `init` runs once at the consortium's coordinator and
 * writes every hospital's keys and node files; `node-key` runs at each hospital when its Besu
 * node is deployed. Keystore passphrase: --passphrase-file, else MEDCHAIN_CONSORTIUM_PASSPHRASE,
 * else a prompt.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { str, type Command, type GlobalOptions } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, note } from '../output.ts';
import { readPassphrase } from '../passphrase.ts';
import { ConsortiumConfigError, hospitalNamed, readConsortiumConfig } from '../../consortium/config.ts';
import { KeystorePassphraseError } from '../../crypto/errors.ts';

// The scratch chain and the deploy code load only when init runs (keeps `medchain --help` fast).
const initRuntime = () => import('../../consortium/initConsortium.ts');
const nodeKeyRuntime = () => import('../../consortium/nodeKey.ts');
/** QBFT's minimum for Byzantine fault tolerance, n = 3f + 1 with f = 1 (also checked by initConsortium). */
const MIN_HOSPITALS = 4;

async function consortiumPassphrase(global: GlobalOptions, confirm: boolean): Promise<string> {
  if (global.passphraseFile) return readPassphrase({ file: global.passphraseFile, purpose: 'the consortium keystores' });
  const fromEnv = process.env.MEDCHAIN_CONSORTIUM_PASSPHRASE;
  if (fromEnv !== undefined) {
    if (fromEnv.length < 8) throw new CliError('MEDCHAIN_CONSORTIUM_PASSPHRASE must be at least 8 characters', EXIT.usage);
    return fromEnv;
  }
  if (!process.stdin.isTTY) throw new CliError('no passphrase: set MEDCHAIN_CONSORTIUM_PASSPHRASE, pass --passphrase-file, or run in a terminal to be asked', EXIT.usage);
  return readPassphrase({ confirm, purpose: 'the consortium keystores' });
}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`, EXIT.usage);
  return n;
}

const list = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

const INIT_HELP = `  --out <dir>               where to write consortium.json, genesis.json and one directory per hospital (required)
  --hospitals <a,b,c,d>     hospital names, [a-z0-9-]+, at least ${MIN_HOSPITALS} (QBFT tolerates f faulty of 3f+1) (required)
  --name <name>             the consortium's name (default medchain)
  --chain-id <n>            chain id (default 4242)
  --block-period <s>        QBFT blockperiodseconds (default 2)
  --request-timeout <s>     QBFT requesttimeoutseconds (default 4)
  --epoch-length <n>        QBFT epochlength (default 30000)
  --gateway-url-base <url>  hospital i's gateway: the port + i, or a template with {name} (default http://127.0.0.1:8101)
  --rpc-url-base <url>      hospital i's Besu JSON-RPC, same rule (default http://127.0.0.1:8545)
  --p2p-hosts <h1,h2,…>     the host each node is reached at, one per hospital (default 127.0.0.1 for all)
  --p2p-port-base <n>       hospital i's devp2p port: n + i (default 30303)
  --accreditation-threshold <k>  admin approvals to accredit a provider (default: a majority of the hospitals)
  --admin-threshold <k>     admin approvals for admin changes and parameters (default: a majority)
Keystores are encrypted with --passphrase-file, else MEDCHAIN_CONSORTIUM_PASSPHRASE, else a prompt.
`;

export const consortiumCommands: Command[] = [
  {
    name: 'consortium init', summary: 'generate a Besu QBFT consortium: keys, genesis with the contracts, node files, consortium.json',
    options: {
      out: { type: 'string' }, hospitals: { type: 'string' }, name: { type: 'string' }, 'chain-id': { type: 'string' },
      'block-period': { type: 'string' }, 'request-timeout': { type: 'string' }, 'epoch-length': { type: 'string' },
      'gateway-url-base': { type: 'string' }, 'rpc-url-base': { type: 'string' }, 'p2p-hosts': { type: 'string' },
      'p2p-port-base': { type: 'string' }, 'accreditation-threshold': { type: 'string' }, 'admin-threshold': { type: 'string' },
    },
    help: INIT_HELP,
    async run({ values, global }) {
      const out = str(values, 'out');
      const hospitals = list(str(values, 'hospitals'));
      if (!out) throw new CliError('--out <dir> is required (see medchain consortium init --help)', EXIT.usage);
      if (!hospitals) throw new CliError('--hospitals a,b,c,d is required (see medchain consortium init --help)', EXIT.usage);
      if (hospitals.length < MIN_HOSPITALS) {
        throw new CliError(`--hospitals lists ${hospitals.length}; a consortium needs at least ${MIN_HOSPITALS}: QBFT tolerates f faulty validators of 3f + 1, so with fewer one stopped validator halts the chain`, EXIT.usage);
      }
      const options = {
        out: resolve(out), hospitals, name: str(values, 'name'),
        chainId: integer(str(values, 'chain-id'), '--chain-id', 1),
        blockPeriodSeconds: integer(str(values, 'block-period'), '--block-period', 1),
        requestTimeoutSeconds: integer(str(values, 'request-timeout'), '--request-timeout', 1),
        epochLength: integer(str(values, 'epoch-length'), '--epoch-length', 1),
        gatewayUrlBase: str(values, 'gateway-url-base'), rpcUrlBase: str(values, 'rpc-url-base'),
        p2pHosts: list(str(values, 'p2p-hosts')), p2pPortBase: integer(str(values, 'p2p-port-base'), '--p2p-port-base', 1),
        accreditationThreshold: integer(str(values, 'accreditation-threshold'), '--accreditation-threshold', 1),
        adminThreshold: integer(str(values, 'admin-threshold'), '--admin-threshold', 1),
      };
      const passphrase = await consortiumPassphrase(global, true);
      const { ConsortiumInitError, initConsortium } = await initRuntime();
      let config;
      try {
        config = await initConsortium({ ...options, passphrase, scryptN: global.scryptN, log: note });
      } catch (error) {
        if (error instanceof ConsortiumInitError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
      emit(global.json, config, () => [
        `Consortium "${config.name}": chain id ${config.chainId}, ${config.hospitals.length} hospitals, Besu ${config.engine.besuVersion} QBFT`,
        ...config.hospitals.map((h) => `  ${h.name.padEnd(12)} validator ${h.validator}  gateway ${h.gatewayUrl}`),
        `Give each hospital its directory ${join(options.out, '<name>')} and consortium.json; next: medchain consortium node-key --hospital <name> (docs/consortium.md).`,
      ].join('\n'));
    },
  },
  {
    name: 'consortium node-key', summary: 'write Besu\'s node key file from the hospital\'s encrypted validator.json (at deployment)',
    options: { hospital: { type: 'string' }, consortium: { type: 'string' }, 'keys-dir': { type: 'string' } },
    help: `  --hospital <name>         this hospital (required)
  --consortium <file>       consortium.json (default ./consortium.json)
  --keys-dir <dir>          the hospital's directory (default: beside consortium.json, /<name>)
Writes <keys-dir>/keys/key (0600), which the hospital's docker-compose.yml mounts into Besu.
`,
    async run({ values, global }) {
      const name = str(values, 'hospital');
      if (!name) throw new CliError('--hospital <name> is required', EXIT.usage);
      const file = resolve(str(values, 'consortium') ?? 'consortium.json');
      let hospital;
      try {
        hospital = hospitalNamed(readConsortiumConfig(file), name, file);
      } catch (error) {
        if (error instanceof ConsortiumConfigError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
      const keysDir = resolve(str(values, 'keys-dir') ?? join(dirname(file), name));
      if (!existsSync(join(keysDir, 'validator.json'))) throw new CliError(`${join(keysDir, 'validator.json')} not found: pass --keys-dir <the hospital's directory from consortium init>`, EXIT.usage);
      const { NodeKeyMismatchError, writeBesuNodeKey } = await nodeKeyRuntime();
      try {
        const written = await writeBesuNodeKey(keysDir, hospital, await consortiumPassphrase(global, false));
        emit(global.json, written, `Wrote ${written.file} (validator ${written.validator}); keep it readable by the Besu container only.`);
      } catch (error) {
        if (error instanceof KeystorePassphraseError) throw new CliError('wrong passphrase for validator.json', EXIT.runtime);
        if (error instanceof NodeKeyMismatchError) throw new CliError(error.message, EXIT.runtime);
        throw error;
      }
    },
  },
];
