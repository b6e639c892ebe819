// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecordRegistry
/// @notice The RecordRegistry's types, errors and events (contracts/src/RecordRegistry.sol implements it).
interface IRecordRegistry {
    /// @notice A record and its current state.
    struct Record {
        address patient;
        uint32 latestVersion;
        uint64 createdAt;
        uint64 erasedAt;
        bytes32 category;
    }

    /// @notice One version of a record.
    struct Version {
        address author;
        uint32 version;
        uint32 previousVersion;
        uint64 timestamp;
        bytes32 integrityHash;
        bytes contentId;
    }

    error RecordExists(bytes32 recordId);
    error UnknownRecord(bytes32 recordId);
    error RecordIsErased(bytes32 recordId);
    error NotPatient(address account);
    error NotAuthorized(address account, bytes32 recordId);
    error InvalidRecord();
    error StaleVersion(bytes32 recordId, uint32 expected, uint32 latest);
    error ContentIdInUse(bytes32 contentIdHash);

    event RecordAdded(
        bytes32 indexed recordId, address indexed patient, address indexed author, bytes32 category, bytes contentId, bytes32 integrityHash
    );
    event RecordUpdated(
        bytes32 indexed recordId, address indexed patient, address indexed author, uint32 version, uint32 previousVersion, bytes contentId, bytes32 integrityHash
    );
    event RecordErased(bytes32 indexed recordId, address indexed patient, address indexed erasedBy);
}
