/**
 * A patient who closed a provider's break-glass early barred that provider from opening emergency
 * access again (Consent.closeEmergencyAccess); this lifts the bar (Consent.allowEmergencyReopen).
 * The patient's own transaction, signed where the key is (`send`). Runs in Node and browsers.
 */
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import { ConsentAbi, type MedChainAddresses } from '../contracts.ts';

/** Signs and sends the Consent call as the caller; resolves with its receipt once mined successfully. */
export type SendAllowReopenCall = (call: { address: Address; abi: typeof ConsentAbi; functionName: 'allowEmergencyReopen'; args: readonly [Address, Address] }) => Promise<TransactionReceipt>;

export interface AllowEmergencyReopenParameters {
  addresses: MedChainAddresses;
  patient: Address; provider: Address;
  send: SendAllowReopenCall;
}

/**
 * Lets `provider` open emergency access to `patient` again. The contract refuses anyone but the
 * patient or governance (NotGovernance), and a provider who is not barred (EmergencyReopenNotBarred).
 * @example const { allowedBy } = await allowEmergencyReopen({ addresses, patient, provider, send })
 */
export async function allowEmergencyReopen(options: AllowEmergencyReopenParameters): Promise<{ allowedBy: Address; txHash: Hex }> {
  const { addresses, patient, provider } = options;
  const receipt = await options.send({ address: addresses.consent, abi: ConsentAbi, functionName: 'allowEmergencyReopen', args: [patient, provider] });
  const allowed = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'EmergencyReopenAllowed' })[0];
  if (!allowed) throw new Error(`transaction ${receipt.transactionHash} lifted no break-glass bar`);
  return { allowedBy: allowed.args.allowedBy, txHash: receipt.transactionHash };
}
