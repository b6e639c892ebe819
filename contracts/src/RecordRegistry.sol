// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIdentity} from "./interfaces/IIdentity.sol";
import {IConsent} from "./interfaces/IConsent.sol";
import {IIncentives} from "./interfaces/IIncentives.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";

/// @title Registry of record versions: who, what kind, where (CID) and an integrity hash
/// @notice Only opaque ids and hashes are stored: the record id is random, the category is an opaque
/// bytes32 compared for equality only — the patient's keyed HMAC of the FHIR resource type (unlinkable
/// across patients; legacy records: keccak256 of the type) —, the content id is the CID of the ciphertext in the blob store,
/// and the integrity hash is a salted hash of the plaintext. Versions form a chain; erasure leaves a
/// tombstone (the ciphertext and its key envelopes are destroyed off chain: crypto-shredding).
contract RecordRegistry is IRecordRegistry {
    uint256 public constant MAX_CID_BYTES = 128;

    IIdentity public immutable identity;
    IConsent public immutable consent;
    IIncentives public immutable incentives;

    uint256 public recordCount;
    mapping(bytes32 => Record) private _records;
    mapping(bytes32 => mapping(uint32 => Version)) private _versions;
    mapping(address => bytes32[]) private _recordsOfPatient;
    /// @dev keccak256(contentId) => registered. A content id belongs to exactly one record version,
    /// for good: it stays taken after erasure, so a blob can never be claimed by a second record
    /// (and destroyed, or read, through it).
    mapping(bytes32 => bool) private _contentIdTaken;

    constructor(IIdentity identity_, IConsent consent_, IIncentives incentives_) {
        identity = identity_;
        consent = consent_;
        incentives = incentives_;
    }

    /// @notice Register the first version of a new record.
    /// @param recordId A fresh random id chosen by the client.
    /// @param patient Whose record it is.
    /// @param category Opaque, nonzero: the patient's blinded category of the FHIR resource type (HMAC under the patient's key).
    /// @param contentId CID (binary) of the ciphertext; never registered before (ContentIdInUse).
    /// @param integrityHash Salted hash of the plaintext.
    function addRecord(bytes32 recordId, address patient, bytes32 category, bytes calldata contentId, bytes32 integrityHash) external {
        if (recordId == bytes32(0) || category == bytes32(0)) revert InvalidRecord();
        _checkContent(contentId, integrityHash);
        if (_records[recordId].patient != address(0)) revert RecordExists(recordId);
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        _checkWriter(patient, category, recordId);
        _takeContentId(contentId);
        _records[recordId] = Record(patient, 1, uint64(block.timestamp), 0, category);
        _versions[recordId][1] = Version(msg.sender, 1, 0, uint64(block.timestamp), integrityHash, contentId);
        _recordsOfPatient[patient].push(recordId);
        recordCount++;
        emit RecordAdded(recordId, patient, msg.sender, category, contentId, integrityHash);
        incentives.rewardRecordWork(msg.sender, patient);
    }

    /// @notice Add a new version of a record.
    /// @param recordId The record.
    /// @param expectedLatest The version the update is based on (guards against lost updates).
    /// @param contentId CID of the new ciphertext; never registered before (ContentIdInUse).
    /// @param integrityHash Salted hash of the new plaintext.
    /// @return version The new version number.
    function updateRecord(bytes32 recordId, uint32 expectedLatest, bytes calldata contentId, bytes32 integrityHash)
        external
        returns (uint32 version)
    {
        _checkContent(contentId, integrityHash);
        Record storage r = _liveRecord(recordId);
        _checkWriter(r.patient, r.category, recordId);
        uint32 previous = r.latestVersion;
        if (expectedLatest != previous) revert StaleVersion(recordId, expectedLatest, previous);
        _takeContentId(contentId);
        version = previous + 1;
        r.latestVersion = version;
        _versions[recordId][version] = Version(msg.sender, version, previous, uint64(block.timestamp), integrityHash, contentId);
        emit RecordUpdated(recordId, r.patient, msg.sender, version, previous, contentId, integrityHash);
        incentives.rewardRecordWork(msg.sender, r.patient);
    }

    /// @notice Erase a record: the patient's right to be forgotten. Leaves a tombstone; version
    /// content ids and hashes are cleared. The ciphertext and envelopes are destroyed off chain.
    /// @param recordId The record.
    function eraseRecord(bytes32 recordId) external {
        Record storage r = _liveRecord(recordId);
        if (msg.sender != r.patient) revert NotAuthorized(msg.sender, recordId);
        r.erasedAt = uint64(block.timestamp);
        for (uint32 v = 1; v <= r.latestVersion; v++) {
            Version storage ver = _versions[recordId][v];
            delete ver.contentId;
            ver.integrityHash = bytes32(0);
        }
        emit RecordErased(recordId, r.patient, msg.sender);
    }

    /// @notice A record's current state.
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @notice One version of a record.
    function getVersion(bytes32 recordId, uint32 version) external view returns (Version memory) {
        if (_records[recordId].patient == address(0)) revert UnknownRecord(recordId);
        return _versions[recordId][version];
    }

    /// @notice The latest version of a record.
    function latestVersion(bytes32 recordId) external view returns (Version memory) {
        Record storage r = _records[recordId];
        if (r.patient == address(0)) revert UnknownRecord(recordId);
        return _versions[recordId][r.latestVersion];
    }

    /// @notice Whether `integrityHash` is the registered hash of `recordId` at `version`.
    function verifyIntegrity(bytes32 recordId, uint32 version, bytes32 integrityHash) external view returns (bool) {
        return integrityHash != bytes32(0) && _versions[recordId][version].integrityHash == integrityHash;
    }

    /// @notice Whether `contentId` is (or was, before an erasure) registered for a record version.
    function isContentIdUsed(bytes calldata contentId) external view returns (bool) {
        return _contentIdTaken[keccak256(contentId)];
    }

    /// @notice Ids of a patient's records, oldest first (erased ones included, as tombstones).
    function recordsOf(address patient) external view returns (bytes32[] memory) {
        return _recordsOfPatient[patient];
    }

    function _liveRecord(bytes32 recordId) private view returns (Record storage r) {
        r = _records[recordId];
        if (r.patient == address(0)) revert UnknownRecord(recordId);
        if (r.erasedAt != 0) revert RecordIsErased(recordId);
    }

    function _checkWriter(address patient, bytes32 category, bytes32 recordId) private view {
        if (msg.sender == patient) return;
        if (!consent.canAccessRecord(patient, msg.sender, category, recordId, consent.WRITE())) revert NotAuthorized(msg.sender, recordId);
    }

    function _takeContentId(bytes calldata contentId) private {
        bytes32 key = keccak256(contentId);
        if (_contentIdTaken[key]) revert ContentIdInUse(key);
        _contentIdTaken[key] = true;
    }

    function _checkContent(bytes calldata contentId, bytes32 integrityHash) private pure {
        if (contentId.length == 0 || contentId.length > MAX_CID_BYTES || integrityHash == bytes32(0)) revert InvalidRecord();
    }
}
