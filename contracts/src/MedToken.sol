// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title MedToken (MED), MedChain's incentive token
/// @notice Minted only as rewards by the Incentives contract that deploys it; transferable like any ERC-20.
contract MedToken is ERC20, ERC20Permit, Ownable {
    /// @param minter The Incentives contract, the only account that may mint.
    constructor(address minter) ERC20("MedToken", "MED") ERC20Permit("MedToken") Ownable(minter) {}

    /// @notice Mint a reward. Incentives contract only.
    /// @param to The recipient.
    /// @param amount Amount in the token's smallest unit (18 decimals).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
