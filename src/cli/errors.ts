/**
 * One place that turns any failure into the one-line message and exit code a user sees:
 * 0 ok, 1 runtime error, 2 usage error, 3 refused by authorization (a 401/403 from the gateway,
 * or a contract that reverted with its own error, e.g. NotActiveProvider).
 */
import { BaseError } from 'viem';
import { AccessDeniedError, ChainRefusedError, GatewayError, UnauthenticatedError, describeRevert, revertText } from '../sdk/errors.ts';
import { KeystoreFormatError, KeystorePassphraseError } from '../crypto/errors.ts';
import { CliError } from './dataDir.ts';

export const EXIT = { ok: 0, runtime: 1, usage: 2, refused: 3 } as const;

/** Refusals by the chain or the gateway: exit code 3. */
export class RefusedError extends CliError {
  constructor(message: string) { super(message, EXIT.refused); }
}

export function describeError(error: unknown): { message: string; code: number } {
  if (error instanceof CliError) return { message: error.message, code: error.exitCode };
  if (error instanceof ChainRefusedError) return { message: `the contract refused: ${revertText(error)} (relayed by the gateway)`, code: EXIT.refused };
  if (error instanceof GatewayError) {
    const code = error instanceof UnauthenticatedError || error instanceof AccessDeniedError ? EXIT.refused : EXIT.runtime;
    return { message: `the gateway refused: ${error.message}`, code };
  }
  const revert = describeRevert(error);
  if (revert) return { message: `the contract refused: ${revertText(revert)}`, code: EXIT.refused };
  if (error instanceof BaseError) {
    const fetchFailed = error.walk((e) => /fetch failed|ECONNREFUSED/.test((e as Error).message ?? ''));
    if (fetchFailed) return { message: 'cannot reach the chain through the gateway (is `medchain start` running? see --gateway)', code: EXIT.runtime };
    return { message: error.shortMessage, code: EXIT.runtime };
  }
  if (error instanceof KeystorePassphraseError) return { message: 'wrong passphrase for the key file', code: EXIT.runtime };
  if (error instanceof KeystoreFormatError) return { message: error.message, code: EXIT.runtime };
  const e = error as Error & { cause?: { code?: string } };
  if (e?.message === 'fetch failed' || e?.cause?.code === 'ECONNREFUSED') {
    return { message: 'cannot reach the gateway (is `medchain start` running? pass --gateway <url> or set MEDCHAIN_GATEWAY)', code: EXIT.runtime };
  }
  if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return { message: `no such file: ${(e as NodeJS.ErrnoException).path}`, code: EXIT.runtime };
  return { message: (e?.message ?? String(error)).split('\n')[0] || 'failed', code: EXIT.runtime };
}
