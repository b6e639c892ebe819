// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IAccessLogAnchor
/// @notice The AccessLogAnchor's types, errors and events (contracts/src/AccessLogAnchor.sol implements it).
interface IAccessLogAnchor {
    /// @notice One anchored period.
    struct Anchor {
        bytes32 root;
        uint64 entryCount;
        uint64 anchoredAt;
        uint64 blockNumber;
    }

    error NotAnchorer(address account);
    error AlreadyAnchored(address gateway, uint64 periodId);
    error InvalidAnchor();
    error NotAdmin(address account);
    error InvalidAddress();

    event RootAnchored(address indexed gateway, uint64 indexed periodId, bytes32 root, uint64 entryCount);
    event AnchorerSet(address indexed account, bool enabled, address indexed admin);
}
