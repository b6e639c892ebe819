// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IConsent
/// @notice What the Consent contract is to the rest of MedChain: its types, errors and events, and the
/// authorization views the RecordRegistry and the gateways call. Consent (contracts/src/Consent.sol)
/// implements it; other contracts depend on this interface, never on Consent itself.
interface IConsent {
    /// @notice What a grant covers.
    enum ScopeKind {
        All,
        Category,
        Record
    }

    /// @notice Where a grant stands at the current block time.
    enum GrantState {
        None,
        Upcoming,
        Active,
        Expired,
        Revoked
    }

    /// @notice Lifecycle of an access request.
    enum RequestStatus {
        None,
        Pending,
        Approved,
        Rejected,
        Cancelled
    }

    /// @notice The terms of a grant, as chosen by the patient.
    struct GrantTerms {
        address grantee;
        ScopeKind scopeKind;
        bytes32 scopeValue;
        uint8 permissions;
        /// Why access is granted: an opaque tag, HMAC of the purpose code under the patient's key and
        /// bound to the grantee (computed off chain, src/crypto/categoryKey.ts); never compared here.
        bytes32 purpose;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice A grant as stored.
    struct Grant {
        address patient;
        uint64 validFrom;
        uint64 validUntil;
        address grantee;
        uint64 revokedAt;
        ScopeKind scopeKind;
        uint8 permissions;
        bytes32 purpose;
        bytes32 scopeValue;
        uint256 requestId;
    }

    /// @notice A provider's request for access.
    struct AccessRequest {
        address provider;
        uint64 createdAt;
        RequestStatus status;
        address patient;
        GrantTerms terms;
        uint256 grantId;
    }

    /// @notice A break-glass access window.
    struct Emergency {
        uint64 openedAt;
        uint64 until;
        uint256 accessId;
    }

    error NotPatient(address account);
    error NotActiveProvider(address account);
    error InvalidGrantee(address grantee);
    error InvalidScope();
    error InvalidPermissions(uint8 permissions);
    error InvalidWindow(uint64 validFrom, uint64 validUntil);
    error UnknownGrant(uint256 grantId);
    error NotGrantPatient(uint256 grantId, address account);
    error GrantNotLive(uint256 grantId);
    error UnknownRequest(uint256 requestId);
    error RequestNotPending(uint256 requestId, RequestStatus status);
    error RequestMismatch(uint256 requestId);
    error NotRequestParty(uint256 requestId, address account);
    error SignatureExpired(uint256 deadline);
    error InvalidSignature();
    error InvalidDuration(uint64 duration);
    error NoEmergencyAccess(address patient, address provider);
    error EmergencyAccessAlreadyOpen(address patient, address provider, uint64 until);
    error EmergencyReopenBarred(address patient, address provider);
    error EmergencyReopenNotBarred(address patient, address provider);

    event GrantCreated(
        uint256 indexed grantId,
        address indexed patient,
        address indexed grantee,
        ScopeKind scopeKind,
        bytes32 scopeValue,
        uint8 permissions,
        bytes32 purpose,
        uint64 validFrom,
        uint64 validUntil,
        uint256 requestId
    );
    event GrantSuperseded(uint256 indexed grantId, uint256 indexed byGrantId);
    event GrantRevoked(uint256 indexed grantId, address indexed patient, address indexed grantee);
    event GrantExtended(uint256 indexed grantId, uint64 previousValidUntil, uint64 validUntil);
    event AccessRequested(
        uint256 indexed requestId, address indexed patient, address indexed provider, ScopeKind scopeKind, bytes32 scopeValue, uint8 permissions, bytes32 purpose, uint64 validFrom, uint64 validUntil
    );
    event AccessRequestApproved(uint256 indexed requestId, uint256 indexed grantId);
    event AccessRequestRejected(uint256 indexed requestId);
    event AccessRequestCancelled(uint256 indexed requestId);
    event EmergencyAccessOpened(
        uint256 indexed accessId, address indexed patient, address indexed provider, bytes32 reasonHash, uint64 until
    );
    event EmergencyAccessClosed(uint256 indexed accessId, address indexed patient, address indexed provider, address closedBy);
    event BreakGlassDurationChanged(uint64 duration);
    /// @notice The patient closed `provider`'s break-glass access: that provider cannot open it again for them.
    event EmergencyReopenBarredBy(address indexed patient, address indexed provider, uint256 indexed accessId);
    /// @notice `provider` may open break-glass access to `patient` again; `allowedBy` is the patient or governance.
    event EmergencyReopenAllowed(address indexed patient, address indexed provider, address allowedBy);

    /// @notice The read permission bit.
    function READ() external view returns (uint8);

    /// @notice The write permission bit.
    function WRITE() external view returns (uint8);

    /// @notice Whether `grantee` holds a live grant from `patient` that covers `scope` with `permission`.
    /// @dev A grant covers a scope when its scope is All, or when kind and value are equal. Exact to
    /// the second: live from `validFrom` inclusive to `validUntil` exclusive. A suspended provider holds nothing.
    /// @param patient The patient.
    /// @param grantee The grantee.
    /// @param scopeKind The scope asked about.
    /// @param scopeValue Category (opaque bytes32, compared for equality) or record id (zero for All).
    /// @param permission READ, WRITE or both.
    function isAuthorized(address patient, address grantee, ScopeKind scopeKind, bytes32 scopeValue, uint8 permission)
        external
        view
        returns (bool);

    /// @notice Whether `accessor` may use `permission` on the patient's record `recordId` of `category`:
    /// the patient themself, a live grant for all records, the category or the record, or (read only) live break-glass access.
    function canAccessRecord(address patient, address accessor, bytes32 category, bytes32 recordId, uint8 permission)
        external
        view
        returns (bool);

    /// @notice Whether `provider` has live break-glass access to `patient`.
    function hasEmergencyAccess(address patient, address provider) external view returns (bool);
}
