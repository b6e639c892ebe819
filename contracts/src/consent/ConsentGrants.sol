// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsent} from "../interfaces/IConsent.sol";
import {ConsentBase} from "./ConsentBase.sol";

/// @title Grants: a patient's timed consent, given, revoked and extended directly or by relayed signature
/// @notice A patient grants a grantee access to a scope of their records (all, a category — an opaque
/// bytes32 that must equal the records' category, blinded per patient off chain —, or one record) with
/// permissions (read, write), a purpose (an opaque bytes32 tag, blinded per patient and grantee off
/// chain; no logic here depends on it) and a window. A grant
/// is live while `validFrom <= block.timestamp < validUntil` and not revoked: it ends by itself.
/// @dev One grant per (patient, grantee, scope) slot is current: a new grant for the same slot
/// supersedes the old one, so every authorization check is a constant number of storage reads.
abstract contract ConsentGrants is ConsentBase {
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address patient,address grantee,uint8 scopeKind,bytes32 scopeValue,uint8 permissions,bytes32 purpose,uint64 validFrom,uint64 validUntil,uint256 requestId,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256("Revoke(address patient,uint256 grantId,uint256 nonce,uint256 deadline)");
    bytes32 public constant EXTEND_TYPEHASH = keccak256("Extend(address patient,uint256 grantId,uint64 validUntil,uint256 nonce,uint256 deadline)");

    uint256 public grantCount;

    mapping(uint256 => Grant) private _grants;
    mapping(bytes32 => uint256) private _currentGrant;
    mapping(address => uint256[]) private _grantsOfPatient;
    mapping(address => uint256[]) private _grantsOfGrantee;

    /// @notice Grant access to the caller's records.
    /// @param terms Grantee, scope, permissions, purpose and window (`validFrom` 0 means now).
    /// @return grantId The new grant.
    function grant(GrantTerms calldata terms) external returns (uint256 grantId) {
        return _grant(msg.sender, terms, 0);
    }

    /// @notice Create a grant signed by the patient (EIP-712); anyone may relay it, so patients need no funds.
    /// @param patient The signer.
    /// @param terms The grant's terms.
    /// @param requestId The access request this approves, or 0.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The patient's EIP-712 signature (or an ERC-1271 contract signature).
    /// @return grantId The new grant.
    function grantBySig(address patient, GrantTerms calldata terms, uint256 requestId, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 grantId)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                patient,
                terms.grantee,
                terms.scopeKind,
                terms.scopeValue,
                terms.permissions,
                terms.purpose,
                terms.validFrom,
                terms.validUntil,
                requestId,
                nonces(patient),
                deadline
            )
        );
        _checkSignature(patient, structHash, deadline, signature);
        if (requestId != 0) return _approve(patient, requestId, terms);
        return _grant(patient, terms, 0);
    }

    /// @notice End a grant now.
    /// @param grantId The grant.
    function revoke(uint256 grantId) external {
        _revoke(msg.sender, grantId);
    }

    /// @notice End a grant now, by the patient's EIP-712 signature relayed by anyone.
    function revokeBySig(address patient, uint256 grantId, uint256 deadline, bytes calldata signature) external {
        _checkSignature(patient, keccak256(abi.encode(REVOKE_TYPEHASH, patient, grantId, nonces(patient), deadline)), deadline, signature);
        _revoke(patient, grantId);
    }

    /// @notice Move a live or upcoming grant's end later.
    /// @param grantId The grant.
    /// @param validUntil The new end (later than the current one).
    function extend(uint256 grantId, uint64 validUntil) external {
        _extend(msg.sender, grantId, validUntil);
    }

    /// @notice Extend a grant by the patient's EIP-712 signature relayed by anyone.
    function extendBySig(address patient, uint256 grantId, uint64 validUntil, uint256 deadline, bytes calldata signature) external {
        _checkSignature(
            patient, keccak256(abi.encode(EXTEND_TYPEHASH, patient, grantId, validUntil, nonces(patient), deadline)), deadline, signature
        );
        _extend(patient, grantId, validUntil);
    }

    /// @inheritdoc IConsent
    function isAuthorized(address patient, address grantee, ScopeKind scopeKind, bytes32 scopeValue, uint8 permission)
        public
        view
        returns (bool)
    {
        _checkPermission(permission);
        if (!_granteeInGoodStanding(patient, grantee)) return false;
        if (_liveSlot(patient, grantee, ScopeKind.All, bytes32(0), permission)) return true;
        return scopeKind != ScopeKind.All && _liveSlot(patient, grantee, scopeKind, scopeValue, permission);
    }

    /// @notice A grant.
    function getGrant(uint256 grantId) external view returns (Grant memory) {
        return _grants[grantId];
    }

    /// @notice Where a grant stands now.
    function grantState(uint256 grantId) public view returns (GrantState) {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) return GrantState.None;
        if (g.revokedAt != 0) return GrantState.Revoked;
        if (block.timestamp < g.validFrom) return GrantState.Upcoming;
        if (block.timestamp >= g.validUntil) return GrantState.Expired;
        return GrantState.Active;
    }

    /// @notice The current grant id in a (patient, grantee, scope) slot, or 0.
    function currentGrant(address patient, address grantee, ScopeKind scopeKind, bytes32 scopeValue) external view returns (uint256) {
        return _currentGrant[_slot(patient, grantee, scopeKind, scopeValue)];
    }

    /// @notice Ids of every grant a patient made, oldest first.
    function grantsOfPatient(address patient) external view returns (uint256[] memory) {
        return _grantsOfPatient[patient];
    }

    /// @notice Ids of every grant made to a grantee, oldest first.
    function grantsOfGrantee(address grantee) external view returns (uint256[] memory) {
        return _grantsOfGrantee[grantee];
    }

    /// @dev A relayed grant may approve an access request (`grantBySig` with a request id); the
    /// requests part (ConsentRequests) checks the request and records the approval.
    function _approve(address patient, uint256 requestId, GrantTerms calldata terms) internal virtual returns (uint256 grantId);

    function _grant(address patient, GrantTerms calldata terms, uint256 requestId) internal returns (uint256 grantId) {
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        _validateTerms(patient, terms);
        uint64 validFrom = terms.validFrom == 0 ? uint64(block.timestamp) : terms.validFrom;
        grantId = ++grantCount;
        _grants[grantId] = Grant(
            patient, validFrom, terms.validUntil, terms.grantee, 0, terms.scopeKind, terms.permissions, terms.purpose, terms.scopeValue, requestId
        );
        bytes32 slot = _slot(patient, terms.grantee, terms.scopeKind, terms.scopeValue);
        uint256 previous = _currentGrant[slot];
        if (previous != 0) {
            GrantState state = grantState(previous);
            if (state == GrantState.Active || state == GrantState.Upcoming) {
                _grants[previous].revokedAt = uint64(block.timestamp);
                emit GrantSuperseded(previous, grantId);
            }
        }
        _currentGrant[slot] = grantId;
        _grantsOfPatient[patient].push(grantId);
        _grantsOfGrantee[terms.grantee].push(grantId);
        emit GrantCreated(
            grantId, patient, terms.grantee, terms.scopeKind, terms.scopeValue, terms.permissions, terms.purpose, validFrom, terms.validUntil, requestId
        );
    }

    function _revoke(address patient, uint256 grantId) private {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) revert UnknownGrant(grantId);
        if (g.patient != patient) revert NotGrantPatient(grantId, patient);
        GrantState state = grantState(grantId);
        if (state != GrantState.Active && state != GrantState.Upcoming) revert GrantNotLive(grantId);
        g.revokedAt = uint64(block.timestamp);
        emit GrantRevoked(grantId, patient, g.grantee);
    }

    function _extend(address patient, uint256 grantId, uint64 validUntil) private {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) revert UnknownGrant(grantId);
        if (g.patient != patient) revert NotGrantPatient(grantId, patient);
        GrantState state = grantState(grantId);
        if (state != GrantState.Active && state != GrantState.Upcoming) revert GrantNotLive(grantId);
        if (validUntil <= g.validUntil) revert InvalidWindow(g.validFrom, validUntil);
        uint64 previous = g.validUntil;
        g.validUntil = validUntil;
        emit GrantExtended(grantId, previous, validUntil);
    }

    /// @dev Shared by grants and requests: who may be a grantee, a well-formed scope, permissions and window.
    function _validateTerms(address patient, GrantTerms calldata terms) internal view {
        address grantee = terms.grantee;
        if (grantee == address(0) || grantee == patient) revert InvalidGrantee(grantee);
        if (!identity.isActiveProvider(grantee) && identity.deviceOwner(grantee) != patient) revert InvalidGrantee(grantee);
        if ((terms.scopeKind == ScopeKind.All) != (terms.scopeValue == bytes32(0))) revert InvalidScope();
        if (terms.permissions == 0 || terms.permissions > (READ | WRITE)) revert InvalidPermissions(terms.permissions);
        uint64 validFrom = terms.validFrom == 0 ? uint64(block.timestamp) : terms.validFrom;
        if (terms.validUntil <= validFrom || terms.validUntil <= block.timestamp) revert InvalidWindow(terms.validFrom, terms.validUntil);
    }

    function _checkPermission(uint8 permission) internal pure {
        if (permission == 0 || permission > (READ | WRITE)) revert InvalidPermissions(permission);
    }

    function _granteeInGoodStanding(address patient, address grantee) internal view returns (bool) {
        return identity.isActiveProvider(grantee) || (grantee != address(0) && identity.deviceOwner(grantee) == patient);
    }

    /// @dev Whether the current grant in a slot is live and carries `permission`.
    function _liveSlot(address patient, address grantee, ScopeKind kind, bytes32 value, uint8 permission) internal view returns (bool) {
        uint256 id = _currentGrant[_slot(patient, grantee, kind, value)];
        if (id == 0) return false;
        Grant storage g = _grants[id];
        return g.revokedAt == 0 && g.validFrom <= block.timestamp && block.timestamp < g.validUntil && (g.permissions & permission) == permission;
    }

    function _slot(address patient, address grantee, ScopeKind kind, bytes32 value) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, kind, value));
    }
}
