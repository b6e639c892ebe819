// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The identity view the other MedChain contracts rely on.
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
