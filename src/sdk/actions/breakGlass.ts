/**
 * Break-glass: a provider opens time-boxed emergency read access to a patient who cannot answer,
 * and the provider or the patient closes it early (Consent.openEmergencyAccess /
 * closeEmergencyAccess). Opening puts only a salted commitment to the reason on chain and deposits
 * the reason sealed to the patient, the provider and the auditors (../breakGlassReason.ts). Both are
 * the caller's own transactions, signed where the key is (`send`). Runs in Node and browsers.
 */
import { parseEventLogs, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import { ConsentAbi, type EmergencyReasonCode, type MedChainAddresses } from '../contracts.ts';
import { checkBreakGlassReason, commitBreakGlassReason, reasonRecipients, sealBreakGlassReason } from '../breakGlassReason.ts';
import type { GatewayClient } from '../gateway.ts';

/** Signs and sends one Consent call as the caller; resolves with its receipt once mined successfully. */
export type SendEmergencyCall = (call:
  | { address: Address; abi: typeof ConsentAbi; functionName: 'openEmergencyAccess'; args: readonly [Address, Hex] }
  | { address: Address; abi: typeof ConsentAbi; functionName: 'closeEmergencyAccess'; args: readonly [Address, Address] }) => Promise<TransactionReceipt>;

export interface OpenBreakGlassParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  patient: Address;
  /** The opening provider and their X25519 public key (they are one of the reason's readers). */
  provider: { address: Address; publicKey: Uint8Array };
  /** The coded reason (sealed with the text, not on chain) and the stated reason. */
  code: EmergencyReasonCode; reason: string;
  send: SendEmergencyCall;
}

export interface OpenBreakGlassReturnType {
  accessId: bigint; until: bigint; reasonHash: Hex; txHash: Hex;
  /** Who can open the sealed reason: the patient, the provider, the auditors with a key on chain. */
  reasonReaders: Address[];
}

/**
 * Opens emergency access and deposits its sealed reason. The readers' keys are read first: a patient
 * without a key on chain cannot be sealed to, so then nothing is opened.
 * @example const { accessId, until } = await openBreakGlass({ gateway, client, addresses, patient, provider: { address, publicKey }, code: 'Unconscious', reason, send })
 */
export async function openBreakGlass(options: OpenBreakGlassParameters): Promise<OpenBreakGlassReturnType> {
  const { gateway, client, addresses, patient, provider, code } = options;
  const reason = checkBreakGlassReason(code, options.reason);
  const recipients = await reasonRecipients({ gateway, client, addresses, patient, provider });
  const commitment = commitBreakGlassReason(code, reason);
  const receipt = await options.send({ address: addresses.consent, abi: ConsentAbi, functionName: 'openEmergencyAccess', args: [patient, commitment.reasonHash] });
  const opened = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessOpened' })[0];
  if (!opened) throw new Error(`transaction ${receipt.transactionHash} opened no emergency access`);
  const { accessId, until } = opened.args;
  const stored = await gateway.depositBreakGlassReason(accessId, await sealBreakGlassReason({ code, reason, salt: commitment.salt, accessId, patient, recipients }));
  return { accessId, until, reasonHash: commitment.reasonHash, txHash: receipt.transactionHash, reasonReaders: stored.recipients };
}

export interface CloseBreakGlassParameters {
  addresses: MedChainAddresses;
  patient: Address; provider: Address;
  /** Sent by the patient (which bars the provider from opening again until the patient allows it) or by the provider. */
  send: SendEmergencyCall;
}

/**
 * Ends a live emergency access now.
 * @example const { accessId } = await closeBreakGlass({ addresses, patient, provider, send })
 */
export async function closeBreakGlass(options: CloseBreakGlassParameters): Promise<{ accessId: bigint; closedBy: Address; txHash: Hex }> {
  const { addresses, patient, provider } = options;
  const receipt = await options.send({ address: addresses.consent, abi: ConsentAbi, functionName: 'closeEmergencyAccess', args: [patient, provider] });
  const closed = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyAccessClosed' })[0];
  if (!closed) throw new Error(`transaction ${receipt.transactionHash} closed no emergency access`);
  return { accessId: closed.args.accessId, closedBy: closed.args.closedBy, txHash: receipt.transactionHash };
}
