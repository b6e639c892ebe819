// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IIdentity} from "./interfaces/IIdentity.sol";
import {IStudies} from "./interfaces/IStudies.sol";
import {Governed} from "./Governed.sol";

/// @title Research studies: declared computations, dynamic consent, a privacy budget spent run by run
/// @notice An accredited research provider registers a study: what it is (title and protocol hashes),
/// the computations it may run (from a fixed catalogue, each naming the coded values it reads and the
/// clamping bounds its sensitivity follows from), the data it needs, a minimum cohort, a differential-
/// privacy budget (epsilon, fixed point) and an end date, and the public key of the hospital compute
/// service that will hold the data keys participants share. The admins (the ethics board) approve it
/// through Identity's governance (admin threshold). Patients opt in and out at any time, themselves or
/// by an EIP-712 signature anyone relays. The hospital's compute operator records every run; the
/// contract refuses a run that is undeclared, too small, over budget, or outside the study's life.
/// @dev Only aggregates' hashes and counts are on chain, never values. Amounts of epsilon are in
/// millionths (1_000_000 = epsilon 1). Clamping bounds are in millionths of the value's unit.
contract Studies is IStudies, EIP712, Nonces, Governed {
    uint256 public constant MAX_COMPUTATIONS = 16;
    uint256 public constant MAX_DATA_ITEMS = 32;
    uint32 public constant MIN_COHORT_FLOOR = 5;
    uint16 public constant MAX_BINS = 64;
    /// @notice The smallest epsilon one run may spend (0.05, in millionths): tinier runs add no usable
    /// aggregate, only probes for differencing attacks (docs/research.md).
    uint64 public constant MIN_RUN_EPSILON = 50_000;

    bytes32 public constant OPT_IN_TYPEHASH = keccak256("OptIn(address patient,uint256 studyId,uint256 nonce,uint256 deadline)");
    bytes32 public constant OPT_OUT_TYPEHASH = keccak256("OptOut(address patient,uint256 studyId,uint256 nonce,uint256 deadline)");

    uint256 public studyCount;

    mapping(uint256 => Study) private _studies;
    mapping(uint256 => DeclaredComputation[]) private _computations;
    mapping(uint256 => bytes32[]) private _categories;
    mapping(uint256 => bytes32[]) private _codes;
    mapping(uint256 => mapping(address => bool)) private _participant;

    /// @param identity_ The MedChain Identity contract (roles, and the governance that approves studies).
    constructor(IIdentity identity_) EIP712("MedChain Studies", "1") Governed(identity_) {}

    // ---------------------------------------------------------------- researchers

    /// @notice Register a study; it waits for the ethics board's approval.
    /// @param terms What the study declares (see `StudyTerms`).
    /// @return studyId The new study's id (from 1).
    function registerStudy(StudyTerms calldata terms) external returns (uint256 studyId) {
        if (!identity.isActiveProvider(msg.sender) || identity.providerKind(msg.sender) != IIdentity.ProviderKind.Research) {
            revert NotResearcher(msg.sender);
        }
        _checkTerms(terms);
        studyId = ++studyCount;
        _studies[studyId] = Study({
            researcher: msg.sender,
            status: Status.Proposed,
            minCohort: terms.minCohort,
            participants: 0,
            runs: 0,
            computeOperator: terms.computeOperator,
            epsilonBudget: terms.epsilonBudget,
            epsilonSpent: 0,
            endTime: terms.endTime,
            registeredAt: uint64(block.timestamp),
            approvedAt: 0,
            closedAt: 0,
            titleHash: terms.titleHash,
            protocolHash: terms.protocolHash,
            computeKey: terms.computeKey
        });
        for (uint256 i = 0; i < terms.computations.length; i++) _computations[studyId].push(terms.computations[i]);
        _categories[studyId] = terms.categories;
        _codes[studyId] = terms.codes;
        emit StudyRegistered(studyId, msg.sender, terms.titleHash, terms.protocolHash, terms.endTime, terms.epsilonBudget, terms.minCohort);
    }

    /// @notice Close a study before its end date (its researcher, or governance). Participants' shared keys are then deleted.
    /// @param studyId The study.
    function closeStudy(uint256 studyId) external {
        Study storage s = _study(studyId);
        if (msg.sender != s.researcher && msg.sender != address(identity)) revert NotStudyResearcher(msg.sender);
        if (s.status == Status.Closed) revert InvalidStatus(studyId, s.status);
        s.status = Status.Closed;
        s.closedAt = uint64(block.timestamp);
        emit StudyClosed(studyId, msg.sender);
    }

    // ---------------------------------------------------------------- ethics board

    /// @notice Approve a proposed study. Governance only: admins call Identity.approve(studies, data) until the admin threshold.
    /// @param studyId The study.
    function approveStudy(uint256 studyId) external onlyGovernance {
        Study storage s = _study(studyId);
        if (s.status != Status.Proposed) revert InvalidStatus(studyId, s.status);
        if (block.timestamp >= s.endTime) revert StudyNotOpen(studyId);
        s.status = Status.Approved;
        s.approvedAt = uint64(block.timestamp);
        emit StudyApproved(studyId);
    }

    // ---------------------------------------------------------------- patients (dynamic consent)

    /// @notice The caller joins an approved, open study.
    function optIn(uint256 studyId) external {
        _optIn(studyId, msg.sender);
    }

    /// @notice The caller leaves a study (at any time, also after its end).
    function optOut(uint256 studyId) external {
        _optOut(studyId, msg.sender);
    }

    /// @notice Join by the patient's EIP-712 `OptIn` signature; anyone may relay it.
    function optInBySig(address patient, uint256 studyId, uint256 deadline, bytes calldata signature) external {
        _checkSignature(patient, keccak256(abi.encode(OPT_IN_TYPEHASH, patient, studyId, nonces(patient), deadline)), deadline, signature);
        _optIn(studyId, patient);
    }

    /// @notice Leave by the patient's EIP-712 `OptOut` signature; anyone may relay it.
    function optOutBySig(address patient, uint256 studyId, uint256 deadline, bytes calldata signature) external {
        _checkSignature(patient, keccak256(abi.encode(OPT_OUT_TYPEHASH, patient, studyId, nonces(patient), deadline)), deadline, signature);
        _optOut(studyId, patient);
    }

    // ---------------------------------------------------------------- compute operator

    /// @notice Record one run of a declared computation and spend its epsilon. Only the study's compute
    /// operator, and only while the study's researcher is still an accredited provider.
    /// @param studyId The study.
    /// @param computation Index into the study's declared computations.
    /// @param cohortSize The released (noisy) cohort size: at least the study's minimum, at most its participants.
    /// @param epsilonSpent The run's epsilon in millionths (at least MIN_RUN_EPSILON, within what is left of the budget).
    /// @param resultHash Salted hash of the released (noised) result.
    /// @param cohortHash Merkle root of the run's salted cohort leaves.
    /// @return runId The run's number within the study (from 1).
    function recordRun(uint256 studyId, uint256 computation, uint32 cohortSize, uint64 epsilonSpent, bytes32 resultHash, bytes32 cohortHash)
        external
        returns (uint256 runId)
    {
        Study storage s = _study(studyId);
        if (msg.sender != s.computeOperator) revert NotComputeOperator(msg.sender);
        // A researcher suspended after approval gets no more runs (the gateway refuses first; this holds for any operator).
        if (!identity.isActiveProvider(s.researcher)) revert NotResearcher(s.researcher);
        if (!isOpen(studyId)) revert StudyNotOpen(studyId);
        if (computation >= _computations[studyId].length) revert UndeclaredComputation(studyId, computation);
        if (cohortSize < s.minCohort) revert CohortTooSmall(studyId, cohortSize, s.minCohort);
        if (cohortSize > s.participants) revert CohortLargerThanParticipants(studyId, cohortSize, s.participants);
        if (epsilonSpent < MIN_RUN_EPSILON) revert InvalidEpsilon();
        uint64 remaining = s.epsilonBudget - s.epsilonSpent;
        if (epsilonSpent > remaining) revert BudgetExceeded(studyId, epsilonSpent, remaining);
        s.epsilonSpent += epsilonSpent;
        runId = ++s.runs;
        emit StudyRun(studyId, runId, computation, _computations[studyId][computation].kind, cohortSize, epsilonSpent, resultHash, cohortHash);
    }

    // ---------------------------------------------------------------- views

    /// @notice A study's stored fields.
    function getStudy(uint256 studyId) external view returns (Study memory) {
        return _study(studyId);
    }

    /// @notice A study's declared computations, in index order.
    function computationsOf(uint256 studyId) external view returns (DeclaredComputation[] memory) {
        return _computations[studyId];
    }

    /// @notice The data a study needs: resource-type categories and codes.
    function dataOf(uint256 studyId) external view returns (bytes32[] memory categories, bytes32[] memory codes) {
        return (_categories[studyId], _codes[studyId]);
    }

    /// @notice Whether `patient` currently participates in the study.
    function isParticipant(uint256 studyId, address patient) external view returns (bool) {
        return _participant[studyId][patient];
    }

    /// @notice Whether a study is approved, not closed and before its end date (runs and opt-ins are possible).
    function isOpen(uint256 studyId) public view returns (bool) {
        Study storage s = _studies[studyId];
        return s.status == Status.Approved && block.timestamp < s.endTime;
    }

    /// @notice The EIP-712 domain separator of relayed opt-ins and opt-outs.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _study(uint256 studyId) private view returns (Study storage s) {
        s = _studies[studyId];
        if (s.status == Status.None) revert UnknownStudy(studyId);
    }

    function _checkTerms(StudyTerms calldata t) private view {
        if (t.computations.length == 0 || t.computations.length > MAX_COMPUTATIONS) revert InvalidTerms("computations");
        if (t.codes.length == 0 || t.codes.length > MAX_DATA_ITEMS || t.categories.length > MAX_DATA_ITEMS) revert InvalidTerms("data");
        if (t.minCohort < MIN_COHORT_FLOOR) revert InvalidTerms("minCohort");
        if (t.epsilonBudget == 0) revert InvalidTerms("epsilonBudget");
        if (t.endTime <= block.timestamp) revert InvalidTerms("endTime");
        if (t.computeKey == bytes32(0)) revert InvalidTerms("computeKey");
        if (t.computeOperator == address(0)) revert InvalidTerms("computeOperator");
        for (uint256 i = 0; i < t.computations.length; i++) {
            DeclaredComputation calldata c = t.computations[i];
            if (!_declares(t.codes, c.code)) revert InvalidTerms("computation code");
            // Clamping bounds fix each computation's sensitivity; without them no noise scale exists.
            if (c.kind != Computation.Count && c.lower >= c.upper) revert InvalidTerms("bounds");
            bool binned = c.kind == Computation.Histogram || c.kind == Computation.Quantiles;
            if (binned ? (c.bins < 2 || c.bins > MAX_BINS) : c.bins != 0) revert InvalidTerms("bins");
            if (c.kind == Computation.LinearRegression) {
                if (!_declares(t.codes, c.codeY) || c.lowerY >= c.upperY) revert InvalidTerms("codeY");
            } else if (c.codeY != bytes32(0) || c.lowerY != 0 || c.upperY != 0) {
                revert InvalidTerms("codeY");
            }
        }
    }

    function _declares(bytes32[] calldata codes, bytes32 code) private pure returns (bool) {
        for (uint256 i = 0; i < codes.length; i++) if (codes[i] == code) return true;
        return false;
    }

    function _optIn(uint256 studyId, address patient) private {
        _study(studyId);
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        if (!isOpen(studyId)) revert StudyNotOpen(studyId);
        if (_participant[studyId][patient]) revert AlreadyParticipant(studyId, patient);
        _participant[studyId][patient] = true;
        _studies[studyId].participants++;
        emit StudyOptedIn(studyId, patient);
    }

    function _optOut(uint256 studyId, address patient) private {
        _study(studyId);
        if (!_participant[studyId][patient]) revert NotParticipant(studyId, patient);
        _participant[studyId][patient] = false;
        _studies[studyId].participants--;
        emit StudyOptedOut(studyId, patient);
    }

    /// @dev Checks an EIP-712 signature by `signer` (EOA or ERC-1271) and consumes its nonce, so it cannot be replayed.
    function _checkSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, _hashTypedDataV4(structHash), signature)) revert InvalidSignature();
        _useNonce(signer);
    }
}
