/**
 * The stated reason of a break-glass opening: a salted commitment on chain, the text encrypted in
 * the gateway for the patient, the opening provider and the auditors.
 *
 * On chain, `openEmergencyAccess(patient, reasonHash)` gets
 * `reasonHash = keccak256(salt ‖ utf8(code) ‖ 0x00 ‖ utf8(reason))` with a fresh 32-byte random
 * salt: unlike an unsalted hash, a dictionary of likely reasons ("suspected opioid overdose")
 * confirms nothing without the salt, and the coded reason ("Unconscious") is no longer on chain at
 * all — four codes would be guessed at once. The salt, the code and the text are sealed together (AES-256-GCM under a fresh key,
 * crypto/sealRecord.ts, bound to the access id and patient) and the key HPKE-wrapped to each
 * reader's on-chain X25519 key (crypto/wrapDataKey.ts). A reader opens it and checks it against
 * the commitment read from the chain, not against the gateway's word.
 */
import { bytesToHex, concat, hexToBytes, keccak256, parseEventLogs, toBytes, type Address, type Hex, type PublicClient } from 'viem';
import { generateSalt, openRecord, sealRecord, unwrapDataKey, wrapForRecipients, type RecordBinding } from '../crypto/index.ts';
import { ConsentAbi, EMERGENCY_REASONS, IdentityAbi, type EmergencyReasonCode, type MedChainAddresses } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';

const MAX_REASON_BYTES = 2000;

export class BreakGlassReasonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BreakGlassReasonError';
  }
}

/** The binding a sealed reason is made for: access id and patient (never opens for another opening). */
const bindingOf = (accessId: bigint, patient: Address): RecordBinding => ({ recordId: `break-glass-reason:${accessId}`, version: 0, patient });

function checkCode(code: string): asserts code is EmergencyReasonCode {
  if (!(EMERGENCY_REASONS as string[]).includes(code)) throw new BreakGlassReasonError(`the coded reason must be one of ${EMERGENCY_REASONS.join(', ')}`);
}

/** `utf8(code) ‖ 0x00 ‖ utf8(reason)`: what is committed to and sealed (a code never contains 0x00, so the split is unambiguous). */
const codedReason = (code: EmergencyReasonCode, reason: string) => concat([toBytes(code), Uint8Array.of(0), toBytes(reason)]);

/** `keccak256(salt ‖ utf8(code) ‖ 0x00 ‖ utf8(reason))`: the value `openEmergencyAccess` takes as `reasonHash`. */
export function reasonCommitment(code: EmergencyReasonCode, reason: string, salt: Uint8Array): Hex {
  if (salt.length !== 32) throw new BreakGlassReasonError('the salt must be 32 bytes');
  checkCode(code);
  return keccak256(concat([salt, codedReason(code, reason)]));
}

/**
 * A fresh salt and the commitment to send on chain; keep the salt for `sealBreakGlassReason`.
 * @example const { salt, reasonHash } = commitBreakGlassReason('Unconscious', 'unconscious after a fall, no ID')
 */
export function commitBreakGlassReason(code: EmergencyReasonCode, reason: string): { salt: Uint8Array; reasonHash: Hex } {
  const text = checkBreakGlassReason(code, reason);
  const salt = generateSalt();
  return { salt, reasonHash: reasonCommitment(code, text, salt) };
}

/**
 * Refuses a reason that cannot be committed to (unknown code, empty, over 2000 bytes) before
 * anything is signed; returns the trimmed text.
 * @example checkBreakGlassReason('Other', text)
 */
export function checkBreakGlassReason(code: EmergencyReasonCode, reason: string): string {
  checkCode(code);
  const text = reason.trim();
  if (text.length === 0) throw new BreakGlassReasonError('a break-glass reason must not be empty');
  if (toBytes(text).length > MAX_REASON_BYTES) throw new BreakGlassReasonError(`a break-glass reason is at most ${MAX_REASON_BYTES} bytes`);
  return text;
}

/** Seals the coded reason, the text and the salt for each reader (patient first; the provider; auditors with a key on chain). */
export async function sealBreakGlassReason(options: {
  code: EmergencyReasonCode; reason: string; salt: Uint8Array; accessId: bigint; patient: Address; recipients: Array<{ address: Address; publicKey: Uint8Array }>;
}): Promise<{ ciphertext: Uint8Array; envelopes: Array<{ recipient: Address; envelope: Uint8Array }> }> {
  checkCode(options.code);
  const binding = bindingOf(options.accessId, options.patient);
  const sealed = await sealRecord(codedReason(options.code, options.reason.trim()), binding, { salt: options.salt });
  const unique = [...new Map(options.recipients.map((r) => [r.address.toLowerCase(), r])).values()];
  const wrapped = await wrapForRecipients(sealed.dataKey, binding, unique.map((r) => ({ id: r.address, publicKey: r.publicKey })));
  return { ciphertext: sealed.ciphertext, envelopes: wrapped.map((w) => ({ recipient: w.id as Address, envelope: w.envelope })) };
}

/** Opens a sealed reason with the reader's X25519 private key: the coded reason, the text and the salt. */
export async function openBreakGlassReason(options: {
  ciphertext: Uint8Array; envelope: Uint8Array; accessId: bigint; patient: Address; privateKey: Uint8Array;
}): Promise<{ code: EmergencyReasonCode; reason: string; salt: Uint8Array }> {
  const binding = bindingOf(options.accessId, options.patient);
  const dataKey = await unwrapDataKey(options.envelope, options.privateKey, binding);
  const { plaintext, salt } = await openRecord(options.ciphertext, dataKey, binding);
  const split = plaintext.indexOf(0);
  if (split < 0) throw new BreakGlassReasonError('the sealed reason carries no coded reason');
  const code = new TextDecoder().decode(plaintext.subarray(0, split));
  checkCode(code);
  return { code, reason: new TextDecoder().decode(plaintext.subarray(split + 1)), salt };
}

/** The opening as the chain recorded it (`EmergencyAccessOpened`), or undefined. */
export async function emergencyOpening(client: PublicClient, addresses: MedChainAddresses, accessId: bigint) {
  const logs = await client.getContractEvents({ address: addresses.consent, abi: ConsentAbi, eventName: 'EmergencyAccessOpened', args: { accessId }, fromBlock: 'earliest', toBlock: 'latest' });
  const opened = parseEventLogs({ abi: ConsentAbi, logs, eventName: 'EmergencyAccessOpened' }).find((e) => e.args.accessId === accessId);
  return opened && { accessId, patient: opened.args.patient, provider: opened.args.provider, reasonHash: opened.args.reasonHash, until: opened.args.until, txHash: opened.transactionHash };
}

/** The readers a provider seals a reason to: the patient, themself, and every auditor with an encryption key on chain. */
export async function reasonRecipients(options: { gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; patient: Address; provider: { address: Address; publicKey: Uint8Array } }) {
  const keyOf = async (address: Address) => options.client.readContract({ address: options.addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [address] });
  const patientKey = await keyOf(options.patient);
  if (/^0x0*$/.test(patientKey)) throw new BreakGlassReasonError(`${options.patient} has no encryption key on chain: the reason cannot be sealed to the patient`);
  const { auditors } = await options.gateway.auditors();
  return [
    { address: options.patient, publicKey: hexToBytes(patientKey) },
    options.provider,
    ...auditors.filter((a) => a.publicKey !== null).map((a) => ({ address: a.address, publicKey: hexToBytes(a.publicKey!) })),
  ];
}

/**
 * Reads a break-glass reason from the gateway, opens it and checks it against the on-chain
 * commitment; `matchesChain` is false when the gateway's copy is not what the provider committed to.
 * @example const { reason, matchesChain } = await readBreakGlassReason({ gateway, client, addresses, accessId, privateKey })
 */
export async function readBreakGlassReason(options: { gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; accessId: bigint; privateKey: Uint8Array }) {
  const opening = await emergencyOpening(options.client, options.addresses, options.accessId);
  if (!opening) throw new BreakGlassReasonError(`no break-glass opening #${options.accessId} on chain`);
  const stored = await options.gateway.breakGlassReason(options.accessId);
  const { code, reason, salt } = await openBreakGlassReason({ ciphertext: stored.ciphertext, envelope: stored.envelope, accessId: options.accessId, patient: opening.patient, privateKey: options.privateKey });
  return { ...opening, code, reason, salt: bytesToHex(salt), matchesChain: reasonCommitment(code, reason, salt) === opening.reasonHash.toLowerCase() };
}
