/**
 * Keystore passphrases. The data directory's: from MEDCHAIN_PASSPHRASE (unattended starts), a file
 * (--passphrase-file), or a prompt on the terminal with the input hidden. The operator's and each
 * escrow custodian's come from their own sources (see ./roleKeys.ts for which opens what). Never
 * printed or logged.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, writeFileAtomic } from './dataDir.ts';

export async function readPassphrase(options: { file?: string; confirm?: boolean; purpose: string }): Promise<string> {
  if (options.file) {
    const text = readFileSync(options.file, 'utf8').replace(/\r?\n$/, '');
    if (text.length < 8) throw new CliError('the passphrase file must hold at least 8 characters', 2);
    return text;
  }
  const fromEnv = process.env.MEDCHAIN_PASSPHRASE;
  if (fromEnv !== undefined) {
    if (fromEnv.length < 8) throw new CliError('MEDCHAIN_PASSPHRASE must be at least 8 characters', 2);
    return fromEnv;
  }
  if (!process.stdin.isTTY) {
    throw new CliError('no passphrase: set MEDCHAIN_PASSPHRASE, pass --passphrase-file, or run in a terminal to be asked', 2);
  }
  const first = await prompt(`Passphrase for ${options.purpose}: `);
  if (first.length < 8) throw new CliError('the passphrase must be at least 8 characters', 2);
  if (options.confirm && (await prompt('Repeat the passphrase: ')) !== first) throw new CliError('the passphrases differ', 2);
  return first;
}

function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({ write(chunk, _enc, done) { if (!muted) process.stderr.write(chunk); done(); } });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => { rl.close(); process.stderr.write('\n'); resolve(answer); });
    muted = true;
  });
}

export interface RolePassphraseOptions {
  operatorPassphraseFile?: string;
  /** One file per custodian, in index order. */
  custodianPassphraseFiles?: string[];
}

/** A passphrase and where it came from (for messages; never the passphrase itself). */
export interface Secret { passphrase: string; source: string }

function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new CliError(`cannot read ${what} from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
  if (text.length < 8) throw new CliError(`${what} in ${file} must hold at least 8 characters`, 2);
  return text;
}

function fromEnv(name: string, what: string): Secret | undefined {
  const value = process.env[name];
  if (value !== undefined) {
    if (value.length < 8) throw new CliError(`${name} must be at least 8 characters`, 2);
    return { passphrase: value, source: name };
  }
  const file = process.env[`${name}_FILE`];
  return file === undefined ? undefined : { passphrase: readSecretFile(file, what), source: `${name}_FILE` };
}

/** The operator keystore's passphrase: its own source, else the data directory's passphrase. */
export function operatorPassphrase(options: RolePassphraseOptions, dataDirPassphrase: string): Secret {
  if (options.operatorPassphraseFile) return { passphrase: readSecretFile(options.operatorPassphraseFile, 'the operator passphrase'), source: '--operator-passphrase-file' };
  return fromEnv('MEDCHAIN_OPERATOR_PASSPHRASE', 'the operator passphrase') ?? { passphrase: dataDirPassphrase, source: 'the data directory passphrase' };
}

/**
 * Custodian i's passphrase from its own source; when it has none and its keystore is being created,
 * a random one is generated into `storedFile` (single-host default, reported by the caller).
 */
export function custodianPassphrase(index: number, options: RolePassphraseOptions, storedFile: string, creating: boolean): Secret & { stored: boolean } {
  const what = `custodian ${index}'s passphrase`;
  const file = options.custodianPassphraseFiles?.[index];
  if (file) return { passphrase: readSecretFile(file, what), source: '--custodian-passphrase-file', stored: false };
  const env = fromEnv(`MEDCHAIN_CUSTODIAN_${index}_PASSPHRASE`, what);
  if (env) return { ...env, stored: false };
  if (existsSync(storedFile)) return { passphrase: readSecretFile(storedFile, what), source: storedFile, stored: true };
  if (!creating) {
    throw new CliError(`no passphrase for escrow custodian ${index}: pass --custodian-passphrase-file (file ${index + 1} of the list), set MEDCHAIN_CUSTODIAN_${index}_PASSPHRASE(_FILE), or put it in ${storedFile}`, 2);
  }
  const generated = randomBytes(32).toString('base64url');
  writeFileAtomic(storedFile, `${generated}\n`);
  return { passphrase: generated, source: storedFile, stored: true };
}

/** Refuses passphrases that one secret would share: each custodian's must be its own. */
export function assertSeparateCustodianSecrets(custodians: Secret[], others: Array<Secret & { role: string }>): void {
  custodians.forEach((c, i) => {
    const j = custodians.findIndex((d, k) => k < i && d.passphrase === c.passphrase);
    if (j >= 0) throw new CliError(`escrow custodians ${j} and ${i} have the same passphrase: one secret would open every escrowed key; give each custodian its own (see docs/crypto.md)`, 2);
    const other = others.find((o) => o.passphrase === c.passphrase);
    if (other) throw new CliError(`escrow custodian ${i}'s passphrase is the same as the ${other.role}'s: give each custodian its own (see docs/crypto.md)`, 2);
  });
}
