/**
 * Research studies on chain (contracts/src/Studies.sol): the computation catalogue, coded values,
 * fixed-point amounts, and the EIP-712 opt-in / opt-out messages a patient signs so that anyone
 * (the hospital gateway) may relay them. Runs in Node and browsers.
 */
import { keccak256, toBytes, type Address, type Hex } from 'viem';

/** Mirrors of the Solidity enums (numeric values are the ABI encoding). */
export const Computation = { Count: 0, Mean: 1, Histogram: 2, Quantiles: 3, LinearRegression: 4 } as const;
export const StudyStatus = { None: 0, Proposed: 1, Approved: 2, Closed: 3 } as const;
export type ComputationKind = keyof typeof Computation;
export const computationName = (kind: number): ComputationKind =>
  (Object.keys(Computation) as ComputationKind[]).find((k) => Computation[k] === kind) ?? 'Count';

/** Epsilon and clamping bounds are fixed point on chain: millionths. */
export const MICRO = 1_000_000;
export const toMicro = (value: number): bigint => BigInt(Math.round(value * MICRO));
export const fromMicro = (value: bigint | number): number => Number(value) / MICRO;

/** A coded value as the contract names it: keccak256("system|code"), e.g. LOINC 4548-4 (HbA1c). */
export function studyCode(system: string, code: string): Hex {
  return keccak256(toBytes(`${system}|${code}`));
}

/** One declared computation, in the units of the value (converted to millionths on chain). */
export interface ComputationDeclaration {
  kind: ComputationKind;
  /** The value it reads ({ system, code } of Observation.code or Condition.code). */
  code: { system: string; code: string };
  /** The regression's response (LinearRegression only). */
  codeY?: { system: string; code: string };
  /** Clamping bounds: every value is clamped into [lower, upper] before computing (they fix the sensitivity). */
  lower?: number;
  upper?: number;
  /** The regression response's clamping bounds. */
  lowerY?: number;
  upperY?: number;
  /** Histogram and quantiles: number of equal-width bins over [lower, upper]. */
  bins?: number;
}

/** The on-chain `DeclaredComputation` tuple. */
export function declaredComputation(c: ComputationDeclaration) {
  return {
    kind: Computation[c.kind], code: studyCode(c.code.system, c.code.code),
    codeY: c.codeY ? studyCode(c.codeY.system, c.codeY.code) : (`0x${'00'.repeat(32)}` as Hex),
    lower: toMicro(c.lower ?? 0), upper: toMicro(c.upper ?? 0), lowerY: toMicro(c.lowerY ?? 0), upperY: toMicro(c.upperY ?? 0), bins: c.bins ?? 0,
  };
}

export function studiesDomain(chainId: number, studies: Address) {
  return { name: 'MedChain Studies', version: '1', chainId, verifyingContract: studies } as const;
}

export const studiesTypes = {
  OptIn: [{ name: 'patient', type: 'address' }, { name: 'studyId', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }],
  OptOut: [{ name: 'patient', type: 'address' }, { name: 'studyId', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }],
} as const;

/** Typed data of a relayed opt-in or opt-out (pass to `account.signTypedData`). */
export function studyConsentTypedData(ctx: { chainId: number; studies: Address; patient: Address; studyId: bigint; nonce: bigint; deadline: bigint; join: boolean }) {
  return {
    domain: studiesDomain(ctx.chainId, ctx.studies), types: studiesTypes, primaryType: ctx.join ? 'OptIn' : 'OptOut',
    message: { patient: ctx.patient, studyId: ctx.studyId, nonce: ctx.nonce, deadline: ctx.deadline },
  } as const;
}

/**
 * The envelope recipient standing for a study's compute key: an address derived from the Studies
 * contract and the study id, so a study's envelopes never mix with a person's (no one can sign in as it).
 */
export function studyRecipient(studies: Address, studyId: bigint): Address {
  return `0x${keccak256(toBytes(`MedChain study|${studies.toLowerCase()}|${studyId}`)).slice(26)}` as Address;
}
