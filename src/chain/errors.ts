/**
 * JSON-RPC errors of the embedded node. Codes follow EIP-1474 and what geth/Besu answer, so that
 * viem maps them to its own error classes (nonce too low, insufficient funds, reverts with data).
 */
export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'RpcError';
  }
}

export const ErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** geth's generic server error: nonce too low, insufficient funds, already known... */
  server: -32000,
  /** EIP-1474 "transaction rejected". */
  rejected: -32003,
  /** EIP-1474 "limit exceeded" (too many calls waiting, too many logs). */
  limitExceeded: -32005,
  /** Besu: sender account not authorized to send transactions. */
  notAuthorized: -32007,
  /** geth/EIP-1474 usage for eth_call/eth_estimateGas reverts; `data` carries the revert bytes. */
  executionReverted: 3,
} as const;

export const invalidParams = (message: string) => new RpcError(ErrorCode.invalidParams, message);
export const serverError = (message: string) => new RpcError(ErrorCode.server, message);
