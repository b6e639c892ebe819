// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The identity view the other MedChain contracts rely on.
/// @notice Also declares the Identity contract's types, errors and events (contracts/src/Identity.sol implements it).
interface IIdentity {
    /// @notice What an address is in MedChain. An address has at most one role; admin and auditor are separate flags.
    enum Role {
        None,
        Patient,
        Provider,
        Device
    }

    /// @notice Lifecycle of a provider: applied, accredited (active), suspended.
    enum ProviderStatus {
        None,
        Pending,
        Active,
        Suspended
    }

    /// @notice Kinds of provider.
    enum ProviderKind {
        Doctor,
        Lab,
        Hospital,
        Pharmacy,
        Other,
        Research
    }

    /// @notice One published encryption key and when it took effect.
    struct KeyRecord {
        bytes32 publicKey;
        uint64 since;
    }

    /// @notice A registered identity.
    struct Account {
        Role role;
        ProviderStatus status;
        ProviderKind kind;
        uint64 registeredAt;
        bytes32 metadataHash;
        address owner; // a device's patient
    }

    /// @notice Reasons a provider is suspended (codes, never free text).
    enum SuspensionReason {
        BreakGlassAbuse,
        LicenceRevoked,
        SecurityIncident,
        Other
    }

    error NotAdmin(address account);
    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error InvalidKey();
    error InvalidThreshold(uint256 threshold, uint256 admins);
    error InvalidStatus(address provider, ProviderStatus status);
    error NotProvider(address account);
    error AlreadyApproved(bytes32 actionId, address admin);
    error AlreadyAdmin(address account);
    error InvalidAddress();
    error LastAdmin();
    error InvalidAction();
    error SignatureExpired(uint256 deadline);
    error InvalidSignature();

    event PatientRegistered(address indexed patient, bytes32 encryptionKey, bytes32 metadataHash);
    event ProviderApplied(address indexed provider, ProviderKind kind, bytes32 encryptionKey, bytes32 metadataHash);
    event ProviderAccredited(address indexed provider, ProviderKind kind);
    event ProviderSuspended(address indexed provider, address indexed admin, SuspensionReason reason);
    event ProviderReinstated(address indexed provider);
    event DeviceRegistered(address indexed device, address indexed patient);
    event DeviceRemoved(address indexed device, address indexed patient);
    event EncryptionKeyRotated(address indexed account, bytes32 publicKey, uint256 index);
    event MetadataHashChanged(address indexed account, bytes32 metadataHash);
    event AdminAdded(address indexed admin);
    event AdminRemoved(address indexed admin);
    /// @notice A new governance epoch: the admin set or thresholds changed, pending approvals of older epochs lapsed.
    event EpochStarted(uint256 indexed epoch);
    event AuditorSet(address indexed auditor, bool enabled);
    event ThresholdsChanged(uint256 accreditationThreshold, uint256 adminThreshold);
    event ActionApproved(bytes32 indexed actionId, address indexed admin, address indexed target, bytes4 selector, uint256 approvals, uint256 threshold);
    event ActionExecuted(bytes32 indexed actionId, address indexed target, bytes4 selector);

    /// @notice The role of `account`.
    function roleOf(address account) external view returns (Role);

    /// @notice True when `account` is an accredited provider that is not suspended.
    function isActiveProvider(address account) external view returns (bool);

    /// @notice True when `account` is a registered patient.
    function isPatient(address account) external view returns (bool);

    /// @notice The patient a device belongs to (zero for non-devices).
    function deviceOwner(address device) external view returns (address);

    /// @notice True when `account` is an admin.
    function isAdmin(address account) external view returns (bool);

    /// @notice The kind of a provider.
    function providerKind(address account) external view returns (ProviderKind);
}
