/**
 * Relays patients' EIP-712 signed opt-ins and opt-outs (Studies.optInBySig / optOutBySig) from the
 * gateway's operator account, so joining or leaving a study needs no funds, like relayed grants.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { StudiesAbi, type MedChainAddresses } from '../../sdk/contracts.ts';
import type { transactionSender } from '../chain/relayer.ts';

export function createStudyConsentRelay(client: PublicClient, addresses: MedChainAddresses, sender: ReturnType<typeof transactionSender>) {
  return (join: boolean, patient: Address, studyId: bigint, deadline: bigint, signature: Hex) => sender.send(() => client.simulateContract({
    address: addresses.studies, abi: StudiesAbi, account: sender.account, functionName: join ? 'optInBySig' : 'optOutBySig', args: [patient, studyId, deadline, signature],
  }));
}

export type StudyConsentRelay = ReturnType<typeof createStudyConsentRelay>;
