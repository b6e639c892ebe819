/**
 * The keystore passphrase: from MEDCHAIN_PASSPHRASE (unattended starts), a file
 * (--passphrase-file), or a prompt on the terminal with the input hidden. Never printed or logged.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './dataDir.ts';

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
