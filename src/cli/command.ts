/**
 * What a `medchain` command is: its words (`grant create`), its own flags (parsed together with the
 * global ones by node:util parseArgs, strictly), a synopsis for `--help`, and `run`. main.ts finds
 * the command from the words and dispatches; each command group lives in src/cli/commands/.
 */
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface GlobalOptions {
  gateway: string;
  key?: string;
  json: boolean;
  dataDir: string;
  passphraseFile?: string;
  /** Tests only: cheaper scrypt for keystores written here (MEDCHAIN_SCRYPT_N). */
  scryptN?: number;
}

export interface CommandContext {
  /** Positional arguments after the command words. */
  args: string[];
  values: Values;
  global: GlobalOptions;
}

export interface Command {
  /** The command words, e.g. `grant create`. */
  name: string;
  /** The positional arguments, for the synopsis, e.g. `<grant-id>`. */
  synopsis?: string;
  summary: string;
  options?: Options;
  /** Option lines for --help (`  --for <duration>  …`). */
  help?: string;
  /** Exact number of positionals, or [min, max]. Default 0. */
  arity?: number | [number, number];
  run(ctx: CommandContext): Promise<void>;
}

/** A string option's value, or undefined. */
export const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};
