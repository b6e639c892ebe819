/**
 * An indexed grant as the Consent a viewer is shown, the one way /fhir/Consent and $everything
 * build it. A blinded category scope is named for the grant's own patient and grantee only (as in
 * /api/grants); its purpose is decoded for whoever may see the Consent (parties, auditors, admins:
 * checked by the callers). Consent.dateTime is when the patient gave the consent: the grant's block time.
 */
import type { Address, Hex } from 'viem';
import type { Consent } from '@medplum/fhirtypes';
import { consentFromGrant } from './mapping.ts';
import { blockTimes } from '../repository/blockTimes.ts';
import type { IndexedGrantRow } from '../repository/grants.ts';
import { decodePurpose, grantView } from '../routes/consent.ts';
import type { DataRouteDeps } from '../routes/types.ts';

export function consentsOf(deps: Pick<DataRouteDeps, 'categories' | 'client' | 'index'>) {
  const blockTime = blockTimes(deps);
  return async function consentOf(row: IndexedGrantRow, now: bigint, viewer: Address): Promise<Consent> {
    const view = grantView(row, now, await decodePurpose(deps, row.patient, row.grantee, row.purpose));
    const party = viewer === view.patient || viewer === view.grantee;
    const scopeType = view.scope.kind === 'category' && party ? await deps.categories.typeOf(view.patient, view.scope.value as Hex) : undefined;
    return consentFromGrant({ ...view, scopeType, grantedAt: await blockTime(Number(row.created_block)) });
  };
}
