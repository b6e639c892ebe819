/**
 * consortium.json: what `medchain consortium init` writes and `medchain start --consortium`
 * reads — the chain (Besu QBFT parameters, chain id), the MedChain contracts that exist from
 * genesis, and every hospital's public identity (gateway URL, node, validator, operator, escrow
 * custodian public key). Public data only: the private keys are in each hospital's keystores.
 * The agreed format is in docs/consortium.md; extra optional fields may be added, never removed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { getAddress, type Address } from 'viem';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-address (20 bytes hex)').transform((a) => getAddress(a) as Address);
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte 0x-hex value');
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL');

/** A hospital's name: also its directory name under the init output, so no path characters. */
export const hospitalName = z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes').max(40);

export const hospitalSchema = z.object({
  name: hospitalName,
  /** Public URL of that hospital's gateway. */
  gatewayUrl: httpUrl,
  /** Its Besu node's JSON-RPC (the default for `start --rpc-url`). */
  rpcUrl: httpUrl,
  /** Address of its QBFT validator (node) key. */
  validator: address,
  /** Its gateway operator: relays, anchors, signs gateway-to-gateway requests. */
  operator: address,
  /** HPKE X25519 public key of its escrow custodian (RFC 9180). */
  custodianPublicKey: hex32,
  /** Its Besu node's enode URL (devp2p identity and address). */
  enode: z.string().regex(/^enode:\/\/[0-9a-f]{128}@[^:\s]+:\d+$/, 'enode://<128 hex>@host:port'),
  /** Its governance admin (security and access-control department); absent in hand-made files. */
  admin: address.optional(),
});

export const consortiumSchema = z.object({
  version: z.literal(1),
  name: z.string().min(1).max(100),
  chainId: z.number().int().positive(),
  engine: z.object({
    kind: z.literal('besu-qbft'),
    besuVersion: z.string().min(1),
    blockPeriodSeconds: z.number().int().positive(),
    requestTimeoutSeconds: z.number().int().positive(),
    epochLength: z.number().int().positive(),
  }),
  contracts: z.object({
    identity: address, consent: address, incentives: address, token: address, recordRegistry: address, accessLogAnchor: address, studies: address,
  }),
  /** The contract whose getValidators() QBFT reads (Incentives). */
  validatorContract: address,
  /** Governance thresholds the contracts were deployed with (informational). */
  governance: z.object({ accreditationThreshold: z.number().int().positive(), adminThreshold: z.number().int().positive() }).optional(),
  /** k of the k-of-n break-glass escrow across the hospitals' custodians (default: defaultEscrowThreshold). */
  escrowThreshold: z.number().int().min(2).optional(),
  hospitals: z.array(hospitalSchema).min(1).superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, h] of list.entries()) {
      if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `hospital name "${h.name}" appears twice` });
      seen.add(h.name);
    }
  }),
});

export type ConsortiumConfig = z.infer<typeof consortiumSchema>;
export type HospitalConfig = z.infer<typeof hospitalSchema>;

/** consortium.json is missing, not JSON, or not of the agreed shape; the message names the field. */
export class ConsortiumConfigError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ConsortiumConfigError';
  }
}

export function parseConsortiumConfig(input: unknown, file = 'consortium.json'): ConsortiumConfig {
  const parsed = consortiumSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConsortiumConfigError(file, `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function readConsortiumConfig(file: string): ConsortiumConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConsortiumConfigError(file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run \`medchain consortium init\` or copy it from the consortium's coordinator`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConsortiumConfigError(file, `not JSON (${(error as Error).message})`);
  }
  return parseConsortiumConfig(json, file);
}

/** The hospital called `name`, or an error listing the names there are. */
export function hospitalNamed(config: ConsortiumConfig, name: string, file = 'consortium.json'): HospitalConfig {
  const hospital = config.hospitals.find((h) => h.name === name);
  if (!hospital) throw new ConsortiumConfigError(file, `no hospital "${name}" (there are: ${config.hospitals.map((h) => h.name).join(', ')})`);
  return hospital;
}

/** The default escrow threshold: a strict majority of the hospitals, at least 2 (docs/consortium-sharing.md). */
export const defaultEscrowThreshold = (hospitals: number): number => Math.max(2, Math.floor(hospitals / 2) + 1);
