/**
 * A patient's proof that a study run included them (docs/research.md, "Commitments"): the run's
 * on-chain cohortHash is the RFC 6962 Merkle root (./auditProof.ts, the access log's tree) over one
 * leaf per included patient, leafHash(leafSalt ‖ address), padded with dummy leaves; the gateway
 * gives each included patient only their own leaf salt and audit path. The leaf is built here, and
 * the gateway's cohort tree (gateway/research/commitment.ts) builds it with this same function, so
 * prover and verifier cannot drift apart. Runs in Node and browsers.
 */
import { concat, hexToBytes, type Address, type Hex } from 'viem';
import { leafHash, verifyPath } from './auditProof.ts';

/** A proof that a patient is in a run's cohort: their leaf's salt, its index, the padded tree's size, the RFC 6962 path (hex, bottom up). */
export interface CohortInclusion { leafSalt: Hex; leafIndex: number; treeSize: number; path: Hex[] }

/** A cohort leaf: leafHash(leafSalt ‖ lower-case address bytes). */
export const cohortLeaf = (leafSalt: Hex, patient: Address): Uint8Array => leafHash(hexToBytes(concat([leafSalt, patient.toLowerCase() as Hex])));

/**
 * Checks a patient's inclusion proof against a run's cohortHash as read from the chain (StudyRun event).
 * @example const included = verifyCohortInclusion(run.inclusion, patient, studyRunEvent.args.cohortHash)
 */
export function verifyCohortInclusion(proof: CohortInclusion, patient: Address, cohortHash: Hex): boolean {
  return verifyPath(cohortLeaf(proof.leafSalt, patient), proof.leafIndex, proof.treeSize, proof.path.map((p) => hexToBytes(p)), hexToBytes(cohortHash));
}
