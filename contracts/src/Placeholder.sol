// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
contract Placeholder { function ping() external pure returns (uint256) { return 1; } }
