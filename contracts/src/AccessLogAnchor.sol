// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIdentity} from "./interfaces/IIdentity.sol";
import {IAccessLogAnchor} from "./interfaces/IAccessLogAnchor.sol";

/// @title Anchors of gateways' access-log Merkle roots
/// @notice A hospital gateway closes a period of its access log, computes the RFC 6962 Merkle root of
/// its entries and anchors it here; a patient or auditor checks an entry's inclusion proof against it.
/// Roots cannot be overwritten. A gateway anchors with its own operator key, which an admin registers
/// here as an anchorer: the operator needs no provider or admin role (it cannot break glass or
/// govern), and the admin key need not live on the gateway host.
contract AccessLogAnchor is IAccessLogAnchor {
    IIdentity public immutable identity;
    mapping(address => mapping(uint64 => Anchor)) private _anchors;
    /// @notice How many periods each gateway anchored.
    mapping(address => uint64) public periodCount;
    /// @notice The highest period id each gateway anchored.
    mapping(address => uint64) public latestPeriod;
    /// @notice Gateway operator keys an admin registered to anchor.
    mapping(address => bool) public isAnchorer;

    constructor(IIdentity identity_) {
        identity = identity_;
    }

    /// @notice Register or remove a gateway operator key as an anchorer. Admins only.
    /// @param account The gateway's operator address.
    /// @param enabled Whether it may anchor.
    function setAnchorer(address account, bool enabled) external {
        if (!identity.isAdmin(msg.sender)) revert NotAdmin(msg.sender);
        if (account == address(0)) revert InvalidAddress();
        isAnchorer[account] = enabled;
        emit AnchorerSet(account, enabled, msg.sender);
    }

    /// @notice Anchor the Merkle root of an access-log period. Registered anchorers, active hospitals and admins only.
    /// @param periodId The gateway's period number.
    /// @param root RFC 6962 Merkle root of the period's entries.
    /// @param entryCount Number of entries in the period.
    function anchor(uint64 periodId, bytes32 root, uint64 entryCount) external {
        bool hospital = identity.isActiveProvider(msg.sender) && identity.providerKind(msg.sender) == IIdentity.ProviderKind.Hospital;
        if (!isAnchorer[msg.sender] && !hospital && !identity.isAdmin(msg.sender)) revert NotAnchorer(msg.sender);
        if (root == bytes32(0) || entryCount == 0) revert InvalidAnchor();
        if (_anchors[msg.sender][periodId].anchoredAt != 0) revert AlreadyAnchored(msg.sender, periodId);
        _anchors[msg.sender][periodId] = Anchor(root, entryCount, uint64(block.timestamp), uint64(block.number));
        periodCount[msg.sender]++;
        if (periodId > latestPeriod[msg.sender]) latestPeriod[msg.sender] = periodId;
        emit RootAnchored(msg.sender, periodId, root, entryCount);
    }

    /// @notice The anchor of `gateway`'s period `periodId` (zero root if none).
    function getAnchor(address gateway, uint64 periodId) external view returns (Anchor memory) {
        return _anchors[gateway][periodId];
    }
}
