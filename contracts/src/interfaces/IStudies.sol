// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IStudies
/// @notice The Studies contract's types, errors and events (contracts/src/Studies.sol implements it).
interface IStudies {
    /// @notice The catalogue of computations a study may declare (the compute service implements exactly these).
    enum Computation {
        Count,
        Mean,
        Histogram,
        Quantiles,
        LinearRegression
    }

    /// @notice Where a study stands (an approved study whose end date passed counts as ended, see `isOpen`).
    enum Status {
        None,
        Proposed,
        Approved,
        Closed
    }

    /// @notice One declared computation: what it computes over which coded value, with the clamping
    /// bounds (and bins) that fix its sensitivity. `codeY`, `lowerY`, `upperY`: the regression's
    /// response and its bounds (zero otherwise).
    struct DeclaredComputation {
        Computation kind;
        bytes32 code;
        bytes32 codeY;
        int64 lower;
        int64 upper;
        int64 lowerY;
        int64 upperY;
        uint16 bins;
    }

    /// @notice What a researcher declares when registering.
    struct StudyTerms {
        bytes32 titleHash;
        bytes32 protocolHash;
        /// @dev The data needed: FHIR resource types (SDK `recordCategory`) and codes (keccak256 of "system|code").
        bytes32[] categories;
        bytes32[] codes;
        DeclaredComputation[] computations;
        uint32 minCohort;
        uint64 epsilonBudget;
        uint64 endTime;
        /// @dev X25519 public key of the compute service; participants wrap their data keys to it.
        bytes32 computeKey;
        /// @dev The hospital account allowed to record runs.
        address computeOperator;
    }

    /// @notice A study as stored.
    struct Study {
        address researcher;
        Status status;
        uint32 minCohort;
        uint32 participants;
        uint32 runs;
        address computeOperator;
        uint64 epsilonBudget;
        uint64 epsilonSpent;
        uint64 endTime;
        uint64 registeredAt;
        uint64 approvedAt;
        uint64 closedAt;
        bytes32 titleHash;
        bytes32 protocolHash;
        bytes32 computeKey;
    }

    error NotResearcher(address account);
    error NotPatient(address account);
    error NotComputeOperator(address account);
    error NotStudyResearcher(address account);
    error UnknownStudy(uint256 studyId);
    error InvalidTerms(string what);
    error InvalidStatus(uint256 studyId, Status status);
    error StudyNotOpen(uint256 studyId);
    error AlreadyParticipant(uint256 studyId, address patient);
    error NotParticipant(uint256 studyId, address patient);
    error UndeclaredComputation(uint256 studyId, uint256 computation);
    error CohortTooSmall(uint256 studyId, uint256 cohortSize, uint256 minCohort);
    error CohortLargerThanParticipants(uint256 studyId, uint256 cohortSize, uint256 participants);
    error BudgetExceeded(uint256 studyId, uint256 requested, uint256 remaining);
    error InvalidEpsilon();
    error SignatureExpired(uint256 deadline);
    error InvalidSignature();

    event StudyRegistered(uint256 indexed studyId, address indexed researcher, bytes32 titleHash, bytes32 protocolHash, uint64 endTime, uint64 epsilonBudget, uint32 minCohort);
    event StudyApproved(uint256 indexed studyId);
    event StudyClosed(uint256 indexed studyId, address indexed by);
    event StudyOptedIn(uint256 indexed studyId, address indexed patient);
    event StudyOptedOut(uint256 indexed studyId, address indexed patient);
    /// @notice One run: which declared computation, over how many participants (the released, noisy
    /// size), the epsilon it spent, and salted commitments: `cohortHash` the Merkle root of the cohort's
    /// salted leaves, `resultHash` the hash of the released result with a salt (docs/research.md).
    event StudyRun(
        uint256 indexed studyId,
        uint256 indexed runId,
        uint256 computation,
        Computation kind,
        uint32 cohortSize,
        uint64 epsilonSpent,
        bytes32 resultHash,
        bytes32 cohortHash
    );
}
