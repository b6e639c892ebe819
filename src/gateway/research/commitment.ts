/**
 * The salted commitments a study run puts on chain (docs/research.md, "Commitments"). Unsalted,
 * keccak256 of a cohort list could be brute-forced against candidate sets of patients, and a result
 * hash against candidate results; so each run draws a 32-byte salt (node:crypto, the OS CSPRNG) that
 * only the gateway keeps (study_runs.salt) and only auditors and admins receive.
 *
 * - cohortHash: the RFC 6962 Merkle root (sdk/auditProof.ts, the tree the access log uses) over one
 *   leaf per included patient, leafHash(leafSalt ‖ address) with leafSalt = keccak256(salt ‖ address),
 *   padded with salt-derived dummy leaves up to the study's participant count at the run (public on
 *   chain), leaves sorted by hash. A patient receives only their own leaf salt and audit path: enough
 *   to prove their inclusion, nothing that opens another leaf, and the tree's size says nothing of
 *   the cohort's.
 * - resultHash: keccak256(abi.encode(resultSalt, json)) with resultSalt = keccak256(salt ‖ "result")
 *   and json the canonical JSON of what was released; those who see the result get resultSalt.
 */
import { randomBytes } from 'node:crypto';
import { bytesToHex, concat, encodeAbiParameters, hexToBytes, keccak256, stringToHex, type Address, type Hex } from 'viem';
import { inclusionPath, leafHash, rootOf } from '../../sdk/auditProof.ts';
// The leaf and the proof are the SDK's, which patients verify with (sdk/cohortInclusion.ts verifyCohortInclusion).
import { cohortLeaf, type CohortInclusion } from '../../sdk/cohortInclusion.ts';

export const newRunSalt = (): Hex => bytesToHex(randomBytes(32));

export const leafSaltOf = (salt: Hex, patient: Address): Hex => keccak256(concat([salt, patient.toLowerCase() as Hex]));
const padLeaf = (salt: Hex, j: number) => leafHash(hexToBytes(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'string' }, { type: 'uint256' }], [salt, 'pad', BigInt(j)]))));

/** The run's cohort tree: its root (the on-chain cohortHash) and each included patient's inclusion proof. */
export function cohortTree(salt: Hex, cohort: Address[], treeSize: number) {
  if (treeSize < cohort.length) throw new RangeError(`a tree of ${treeSize} cannot hold a cohort of ${cohort.length}`);
  const slots = [
    ...cohort.map((p) => ({ patient: p.toLowerCase(), leaf: cohortLeaf(leafSaltOf(salt, p), p) })),
    ...Array.from({ length: treeSize - cohort.length }, (_, j) => ({ patient: undefined, leaf: padLeaf(salt, j) })),
  ].map((s) => ({ ...s, hex: bytesToHex(s.leaf) })).sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
  const leaves = slots.map((s) => s.leaf);
  return {
    root: bytesToHex(rootOf(leaves)),
    proofOf(patient: Address): CohortInclusion | undefined {
      const leafIndex = slots.findIndex((s) => s.patient === patient.toLowerCase());
      if (leafIndex < 0) return undefined;
      return { leafSalt: leafSaltOf(salt, patient), leafIndex, treeSize, path: inclusionPath(leaves, leafIndex).map((p) => bytesToHex(p)) };
    },
  };
}

export const resultSaltOf = (salt: Hex): Hex => keccak256(concat([salt, stringToHex('result')]));

/** keccak256(abi.encode(resultSalt, json)) over what the run released: its released cohort size and result (with its noise report). */
export function resultHashOf(resultSalt: Hex, released: { studyId: number; computation: number; cohortSize: number; result: unknown }): Hex {
  const json = JSON.stringify({ studyId: released.studyId, computation: released.computation, cohortSize: released.cohortSize, result: released.result });
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'string' }], [resultSalt, json]));
}
