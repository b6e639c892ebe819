// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IIdentity} from "../interfaces/IIdentity.sol";
import {IConsent} from "../interfaces/IConsent.sol";
import {Governed} from "../Governed.sol";

/// @title What every part of Consent shares: the permission bits, the EIP-712 domain and signature check, governance
/// @dev The parts (ConsentGrants, ConsentRequests, ConsentBreakGlass) each keep their own storage;
/// this base holds none of its own beyond what EIP712 and Nonces keep.
abstract contract ConsentBase is IConsent, EIP712, Nonces, Governed {
    uint8 public constant READ = 1;
    uint8 public constant WRITE = 2;

    /// @param identity_ The Identity contract (also the governance executor).
    constructor(IIdentity identity_) EIP712("MedChain Consent", "1") Governed(identity_) {}

    /// @notice The EIP-712 domain separator (binds chain id and this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Checks the patient's EIP-712 (or ERC-1271) signature over `structHash` and uses up their nonce.
    function _checkSignature(address patient, bytes32 structHash, uint256 deadline, bytes calldata signature) internal {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(patient, _hashTypedDataV4(structHash), signature)) revert InvalidSignature();
        _useNonce(patient);
    }
}
