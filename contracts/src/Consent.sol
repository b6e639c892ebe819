// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIdentity} from "./interfaces/IIdentity.sol";
import {IConsent} from "./interfaces/IConsent.sol";
import {ConsentBase} from "./consent/ConsentBase.sol";
import {ConsentRequests} from "./consent/ConsentRequests.sol";
import {ConsentBreakGlass} from "./consent/ConsentBreakGlass.sol";

/// @title Timed consent, access requests and break-glass emergency access
/// @notice The deployed consent contract, composed of its parts: grants (consent/ConsentGrants.sol,
/// under requests), access requests (consent/ConsentRequests.sol) and break-glass
/// (consent/ConsentBreakGlass.sol); its types, errors and events are declared in IConsent.
/// @dev Only what needs more than one part lives here: the record access check, which reads both
/// grants and break-glass windows.
contract Consent is ConsentRequests, ConsentBreakGlass {
    /// @param identity_ The Identity contract (also the governance executor).
    constructor(IIdentity identity_) ConsentBase(identity_) {}

    /// @inheritdoc IConsent
    function canAccessRecord(address patient, address accessor, bytes32 category, bytes32 recordId, uint8 permission)
        external
        view
        returns (bool)
    {
        _checkPermission(permission);
        if (accessor == patient) return true;
        if (!_granteeInGoodStanding(patient, accessor)) return false;
        if (_liveSlot(patient, accessor, ScopeKind.All, bytes32(0), permission)) return true;
        if (_liveSlot(patient, accessor, ScopeKind.Category, category, permission)) return true;
        if (_liveSlot(patient, accessor, ScopeKind.Record, recordId, permission)) return true;
        return permission == READ && hasEmergencyAccess(patient, accessor);
    }
}
