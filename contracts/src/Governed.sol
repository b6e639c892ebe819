// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIdentity} from "./interfaces/IIdentity.sol";
import {IGoverned} from "./interfaces/IGoverned.sol";

/// @title Governed
/// @notice Base of the contracts whose settings change by governance alone (Consent, Incentives,
/// Studies): they hold the Identity contract and accept governance calls only from it.
abstract contract Governed is IGoverned {
    /// @notice The MedChain Identity contract: roles, and the governance executor.
    IIdentity public immutable identity;

    /// @notice Only the governance executor (the Identity contract) may call.
    modifier onlyGovernance() {
        if (!_isGovernance()) revert NotGovernance();
        _;
    }

    /// @param identity_ The Identity contract.
    constructor(IIdentity identity_) {
        identity = identity_;
    }

    /// @dev True when the current call comes from governance.
    function _isGovernance() internal view returns (bool) {
        return msg.sender == address(identity);
    }
}
