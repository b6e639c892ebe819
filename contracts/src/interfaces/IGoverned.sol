// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IGoverned
/// @notice The one refusal for a call that only governance may make (declared once, here).
interface IGoverned {
    /// @notice The caller is not MedChain governance: the Identity contract, which executes a
    /// proposal once `adminThreshold` admins approved it.
    error NotGovernance();
}
