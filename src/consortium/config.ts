/**
 * consortium.json: what `medchain consortium init` writes and `medchain start --consortium` reads
 * (the shared format: chain id, QBFT engine settings, contract addresses, and per hospital its
 * gateway URL, Besu JSON-RPC, validator, operator, escrow custodian public key and enode).
 * Declared once here with zod; the types are derived from the schema.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { getAddress, isAddress, type Address } from 'viem';

const address = z.string().refine((v) => isAddress(v), 'expected a 0x… address').transform((v) => getAddress(v) as Address);
const url = z.string().url();

export const hospitalSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/, 'hospital names are lowercase letters, digits and -'),
  gatewayUrl: url,
  rpcUrl: url,
  validator: address,
  operator: address,
  custodianPublicKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte X25519 public key as 0x… hex'),
  enode: z.string().min(1),
});

export const consortiumSchema = z.object({
  version: z.literal(1),
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  engine: z.object({
    kind: z.literal('besu-qbft'),
    besuVersion: z.string(),
    blockPeriodSeconds: z.number().positive(),
    requestTimeoutSeconds: z.number().positive(),
    epochLength: z.number().int().positive(),
  }),
  contracts: z.object({ identity: address, consent: address, incentives: address, token: address, recordRegistry: address, accessLogAnchor: address }),
  validatorContract: address,
  hospitals: z.array(hospitalSchema).min(1),
  /** Optional (chub): k of the k-of-n break-glass escrow across the hospitals' custodians (default: a majority). */
  escrowThreshold: z.number().int().min(2).optional(),
}).superRefine((c, ctx) => {
  const names = c.hospitals.map((h) => h.name);
  if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['hospitals'], message: 'hospital names must be unique' });
  const operators = c.hospitals.map((h) => h.operator);
  if (new Set(operators).size !== operators.length) ctx.addIssue({ code: 'custom', path: ['hospitals'], message: 'each hospital needs its own operator' });
  if (c.escrowThreshold !== undefined && c.escrowThreshold > c.hospitals.length) {
    ctx.addIssue({ code: 'custom', path: ['escrowThreshold'], message: `escrowThreshold exceeds the number of hospitals (${c.hospitals.length})` });
  }
});

export type ConsortiumConfig = z.infer<typeof consortiumSchema>;
export type ConsortiumHospital = z.infer<typeof hospitalSchema>;

/** consortium.json is missing, not JSON, or not the format above. */
export class ConsortiumConfigError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail} (regenerate it with medchain consortium init, or fix it by hand; format in docs/consortium.md)`);
    this.name = 'ConsortiumConfigError';
  }
}

export function parseConsortium(json: unknown, file = 'consortium.json'): ConsortiumConfig {
  const parsed = consortiumSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ConsortiumConfigError(file, `${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}

export function readConsortium(file: string): ConsortiumConfig {
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (error) {
    throw new ConsortiumConfigError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON');
  }
  return parseConsortium(json, file);
}

/** The default escrow threshold: a strict majority of the hospitals, at least 2. */
export const defaultEscrowThreshold = (hospitals: number): number => Math.max(2, Math.floor(hospitals / 2) + 1);
