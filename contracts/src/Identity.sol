// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IIdentity} from "./interfaces/IIdentity.sol";
import {IGoverned} from "./interfaces/IGoverned.sol";

/// @title MedChain identities, roles and multi-admin governance
/// @notice Patients register themselves; providers apply and are accredited, suspended and
/// reinstated by the security & access-control department (the admins). Every identity publishes
/// an X25519 encryption public key (rotatable, with history) and a metadata hash — never personal data.
/// @dev Governance: admins approve an action (a call on this contract or on another MedChain
/// contract); it executes when the approvals reach its threshold. Accreditation and reinstatement
/// use `accreditationThreshold`; every other action (admin set, thresholds, auditors, parameters of
/// other contracts) uses `adminThreshold`. Suspension is immediate by any single admin, so that
/// abuse can be stopped at once. Changing the admin set or the thresholds starts a new epoch, which
/// discards approvals still pending.
/// Registrations can be relayed: a patient or an applicant signs an EIP-712 message and anyone (the
/// hospital gateway on a permissioned chain) sends it, so a fresh key needs no transaction of its own.
/// A device is registered only with the device key's own EIP-712 signature, so no address can be squatted.
contract Identity is IIdentity, IGoverned, EIP712, Nonces {
    mapping(address => Account) private _accounts;
    mapping(address => KeyRecord[]) private _keys;
    mapping(address => bool) private _admins;
    mapping(address => bool) private _auditors;
    address[] private _adminList;

    /// @notice Approvals needed to accredit or reinstate a provider.
    uint256 public accreditationThreshold;
    /// @notice Approvals needed for every other governance action.
    uint256 public adminThreshold;
    /// @notice Bumped whenever the admin set or thresholds change; pending approvals of older epochs lapse.
    uint256 public epoch;

    mapping(bytes32 => uint256) private _approvalCount;
    mapping(bytes32 => mapping(address => bool)) private _approvedBy;
    /// @dev How many times an identical action has executed, so the same call can be approved again later.
    mapping(bytes32 => uint256) private _executions;

    bytes32 public constant REGISTER_PATIENT_TYPEHASH =
        keccak256("RegisterPatient(address patient,bytes32 encryptionKey,bytes32 metadataHash,uint256 nonce,uint256 deadline)");
    bytes32 public constant APPLY_AS_PROVIDER_TYPEHASH =
        keccak256("ApplyAsProvider(address provider,uint8 kind,bytes32 encryptionKey,bytes32 metadataHash,uint256 nonce,uint256 deadline)");
    bytes32 public constant DEVICE_TYPEHASH = keccak256("RegisterDevice(address device,address owner,uint256 nonce,uint256 deadline)");

    modifier onlyAdmin() {
        if (!_admins[msg.sender]) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotGovernance();
        _;
    }

    /// @param initialAdmins The first admins.
    /// @param accreditationThreshold_ Approvals needed to accredit or reinstate.
    /// @param adminThreshold_ Approvals needed for admin changes and parameters.
    constructor(address[] memory initialAdmins, uint256 accreditationThreshold_, uint256 adminThreshold_) EIP712("MedChain Identity", "1") {
        for (uint256 i = 0; i < initialAdmins.length; i++) _addAdmin(initialAdmins[i]);
        _setThresholds(accreditationThreshold_, adminThreshold_);
    }

    // ---------------------------------------------------------------- self-service

    /// @notice Register the caller as a patient.
    /// @param encryptionKey The caller's X25519 public key (32 bytes).
    /// @param metadataHash A hash of off-chain metadata (never personal data itself).
    function registerPatient(bytes32 encryptionKey, bytes32 metadataHash) external {
        _registerPatient(msg.sender, encryptionKey, metadataHash);
    }

    /// @notice Register `patient` by their EIP-712 signature; anyone may relay it (the gateway on a permissioned chain).
    /// @param patient The signer, registered as a patient.
    /// @param encryptionKey Their X25519 public key.
    /// @param metadataHash A hash of off-chain metadata.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The patient's EIP-712 `RegisterPatient` signature (or an ERC-1271 contract signature).
    function registerPatientBySig(address patient, bytes32 encryptionKey, bytes32 metadataHash, uint256 deadline, bytes calldata signature) external {
        _checkSignature(
            patient, keccak256(abi.encode(REGISTER_PATIENT_TYPEHASH, patient, encryptionKey, metadataHash, nonces(patient), deadline)), deadline, signature
        );
        _registerPatient(patient, encryptionKey, metadataHash);
    }

    /// @notice Apply to be accredited as a provider; admins then accredit the application.
    /// @param kind Doctor, lab, hospital, pharmacy or other.
    /// @param encryptionKey The provider's X25519 public key.
    /// @param metadataHash A hash of the provider's credentials document.
    function applyAsProvider(ProviderKind kind, bytes32 encryptionKey, bytes32 metadataHash) external {
        _applyAsProvider(msg.sender, kind, encryptionKey, metadataHash);
    }

    /// @notice Apply as a provider by the applicant's EIP-712 signature; anyone may relay it.
    /// @param provider The signer, recorded as a pending provider.
    /// @param kind Doctor, lab, hospital, pharmacy or other.
    /// @param encryptionKey The applicant's X25519 public key.
    /// @param metadataHash A hash of the applicant's credentials document.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The applicant's EIP-712 `ApplyAsProvider` signature.
    function applyAsProviderBySig(
        address provider,
        ProviderKind kind,
        bytes32 encryptionKey,
        bytes32 metadataHash,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _checkSignature(
            provider,
            keccak256(abi.encode(APPLY_AS_PROVIDER_TYPEHASH, provider, kind, encryptionKey, metadataHash, nonces(provider), deadline)),
            deadline,
            signature
        );
        _applyAsProvider(provider, kind, encryptionKey, metadataHash);
    }

    /// @notice A patient registers a device (a wearable, a home monitor) that may write for them once granted.
    /// @dev The device key must consent (EIP-712 `RegisterDevice` naming the caller as owner), otherwise
    /// any patient could claim any address as "their device" and bar it from ever registering.
    /// @param device The device's account.
    /// @param deadline Unix time after which the device's signature is void.
    /// @param deviceSignature The device key's EIP-712 signature over (device, owner = caller, nonce, deadline).
    function registerDevice(address device, uint256 deadline, bytes calldata deviceSignature) external {
        if (_accounts[msg.sender].role != Role.Patient) revert NotRegistered(msg.sender);
        if (device == address(0)) revert InvalidAddress();
        if (_accounts[device].role != Role.None) revert AlreadyRegistered(device);
        _checkSignature(device, keccak256(abi.encode(DEVICE_TYPEHASH, device, msg.sender, nonces(device), deadline)), deadline, deviceSignature);
        _accounts[device] = Account(Role.Device, ProviderStatus.None, ProviderKind.Other, uint64(block.timestamp), bytes32(0), msg.sender);
        emit DeviceRegistered(device, msg.sender);
    }

    /// @notice A patient removes one of their devices.
    /// @param device The device's account.
    function removeDevice(address device) external {
        Account storage a = _accounts[device];
        if (a.role != Role.Device || a.owner != msg.sender) revert NotRegistered(device);
        delete _accounts[device];
        emit DeviceRemoved(device, msg.sender);
    }

    /// @notice Publish a new encryption public key; the old ones stay in the history.
    /// @param publicKey The new X25519 public key.
    function rotateEncryptionKey(bytes32 publicKey) external {
        Role role = _accounts[msg.sender].role;
        if (role != Role.Patient && role != Role.Provider) revert NotRegistered(msg.sender);
        _pushKey(msg.sender, publicKey);
    }

    /// @notice Replace the caller's metadata hash.
    /// @param metadataHash The new hash.
    function setMetadataHash(bytes32 metadataHash) external {
        if (_accounts[msg.sender].role == Role.None) revert NotRegistered(msg.sender);
        _accounts[msg.sender].metadataHash = metadataHash;
        emit MetadataHashChanged(msg.sender, metadataHash);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Approve a governance action; it executes when its approvals reach the threshold.
    /// @param target This contract or another MedChain contract governed by it.
    /// @param data The call to make, ABI-encoded.
    /// @return actionId The action's id in the current epoch.
    /// @return executed Whether this approval executed it.
    function approve(address target, bytes calldata data) external onlyAdmin returns (bytes32 actionId, bool executed) {
        if (data.length < 4 || target.code.length == 0) revert InvalidAction();
        bytes32 callHash = keccak256(abi.encode(target, data));
        actionId = keccak256(abi.encode(epoch, _executions[callHash], callHash));
        if (_approvedBy[actionId][msg.sender]) revert AlreadyApproved(actionId, msg.sender);
        _approvedBy[actionId][msg.sender] = true;
        uint256 approvals = ++_approvalCount[actionId];
        bytes4 selector = bytes4(data[:4]);
        uint256 threshold = thresholdFor(target, selector);
        emit ActionApproved(actionId, msg.sender, target, selector, approvals, threshold);
        if (approvals < threshold) return (actionId, false);
        _executions[callHash]++;
        emit ActionExecuted(actionId, target, selector);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return (actionId, true);
    }

    /// @notice Approvals recorded so far for the action `(target, data)` in the current epoch.
    /// @param target The action's target.
    /// @param data The action's call data.
    /// @return actionId The action's id.
    /// @return approvals How many admins approved it.
    /// @return threshold How many it needs.
    function pendingAction(address target, bytes calldata data) external view returns (bytes32 actionId, uint256 approvals, uint256 threshold) {
        if (data.length < 4) revert InvalidAction();
        bytes32 callHash = keccak256(abi.encode(target, data));
        actionId = keccak256(abi.encode(epoch, _executions[callHash], callHash));
        return (actionId, _approvalCount[actionId], thresholdFor(target, bytes4(data[:4])));
    }

    /// @notice Whether `admin` approved `actionId`.
    function hasApproved(bytes32 actionId, address admin) external view returns (bool) {
        return _approvedBy[actionId][admin];
    }

    /// @notice The number of approvals an action needs.
    /// @param target The action's target.
    /// @param selector The function the action calls.
    function thresholdFor(address target, bytes4 selector) public view returns (uint256) {
        if (target == address(this) && (selector == this.accreditProvider.selector || selector == this.reinstateProvider.selector)) {
            return accreditationThreshold;
        }
        return adminThreshold;
    }

    /// @notice Accredit a provider who applied. Governance only (accreditation threshold).
    /// @param provider The applicant.
    function accreditProvider(address provider) external onlySelf {
        Account storage a = _accounts[provider];
        if (a.role != Role.Provider) revert NotProvider(provider);
        if (a.status != ProviderStatus.Pending) revert InvalidStatus(provider, a.status);
        a.status = ProviderStatus.Active;
        emit ProviderAccredited(provider, a.kind);
    }

    /// @notice Reinstate a suspended provider. Governance only (accreditation threshold).
    /// @param provider The suspended provider.
    function reinstateProvider(address provider) external onlySelf {
        Account storage a = _accounts[provider];
        if (a.role != Role.Provider) revert NotProvider(provider);
        if (a.status != ProviderStatus.Suspended) revert InvalidStatus(provider, a.status);
        a.status = ProviderStatus.Active;
        emit ProviderReinstated(provider);
    }

    /// @notice Suspend an active provider at once. Any single admin may do it.
    /// @param provider The provider.
    /// @param reason Why (a code; details go to the audit log off chain).
    function suspendProvider(address provider, SuspensionReason reason) external onlyAdmin {
        Account storage a = _accounts[provider];
        if (a.role != Role.Provider) revert NotProvider(provider);
        if (a.status != ProviderStatus.Active) revert InvalidStatus(provider, a.status);
        a.status = ProviderStatus.Suspended;
        emit ProviderSuspended(provider, msg.sender, reason);
    }

    /// @notice Add an admin. Governance only.
    function addAdmin(address admin) external onlySelf {
        _addAdmin(admin);
        _newEpoch();
    }

    /// @notice Remove an admin; thresholds above the new admin count are lowered to it. Governance only.
    function removeAdmin(address admin) external onlySelf {
        if (!_admins[admin]) revert NotAdmin(admin);
        if (_adminList.length == 1) revert LastAdmin();
        _admins[admin] = false;
        for (uint256 i = 0; i < _adminList.length; i++) {
            if (_adminList[i] == admin) {
                _adminList[i] = _adminList[_adminList.length - 1];
                _adminList.pop();
                break;
            }
        }
        emit AdminRemoved(admin);
        uint256 n = _adminList.length;
        if (accreditationThreshold > n || adminThreshold > n) {
            _setThresholds(accreditationThreshold > n ? n : accreditationThreshold, adminThreshold > n ? n : adminThreshold);
        }
        _newEpoch();
    }

    /// @notice Change both thresholds (each between 1 and the number of admins). Governance only.
    function setThresholds(uint256 accreditationThreshold_, uint256 adminThreshold_) external onlySelf {
        _setThresholds(accreditationThreshold_, adminThreshold_);
        _newEpoch();
    }

    /// @dev Starts a new governance epoch (pending approvals of the old one lapse) and says so.
    function _newEpoch() internal {
        epoch++;
        emit EpochStarted(epoch);
    }

    /// @notice Appoint or dismiss an auditor. Governance only.
    function setAuditor(address auditor, bool enabled) external onlySelf {
        if (auditor == address(0)) revert InvalidAddress();
        _auditors[auditor] = enabled;
        emit AuditorSet(auditor, enabled);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIdentity
    function roleOf(address account) external view returns (Role) {
        return _accounts[account].role;
    }

    /// @inheritdoc IIdentity
    function isActiveProvider(address account) external view returns (bool) {
        Account storage a = _accounts[account];
        return a.role == Role.Provider && a.status == ProviderStatus.Active;
    }

    /// @inheritdoc IIdentity
    function isPatient(address account) external view returns (bool) {
        return _accounts[account].role == Role.Patient;
    }

    /// @inheritdoc IIdentity
    function deviceOwner(address device) external view returns (address) {
        Account storage a = _accounts[device];
        return a.role == Role.Device ? a.owner : address(0);
    }

    /// @inheritdoc IIdentity
    function isAdmin(address account) external view returns (bool) {
        return _admins[account];
    }

    /// @inheritdoc IIdentity
    function providerKind(address account) external view returns (ProviderKind) {
        return _accounts[account].kind;
    }

    /// @notice Whether `account` is an auditor.
    function isAuditor(address account) external view returns (bool) {
        return _auditors[account];
    }

    /// @notice The current admins.
    function admins() external view returns (address[] memory) {
        return _adminList;
    }

    /// @notice The EIP-712 domain separator of relayed registrations (binds chain id and this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Everything registered about `account`.
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @notice The status of a provider.
    function providerStatus(address account) external view returns (ProviderStatus) {
        return _accounts[account].status;
    }

    /// @notice The current encryption public key of `account` (zero if none).
    function encryptionKeyOf(address account) external view returns (bytes32) {
        KeyRecord[] storage keys = _keys[account];
        return keys.length == 0 ? bytes32(0) : keys[keys.length - 1].publicKey;
    }

    /// @notice Every encryption key `account` has published, oldest first.
    function encryptionKeyHistory(address account) external view returns (KeyRecord[] memory) {
        return _keys[account];
    }

    // ---------------------------------------------------------------- internals

    function _registerPatient(address patient, bytes32 encryptionKey, bytes32 metadataHash) private {
        _register(patient, Role.Patient, encryptionKey, metadataHash);
        emit PatientRegistered(patient, encryptionKey, metadataHash);
    }

    function _applyAsProvider(address provider, ProviderKind kind, bytes32 encryptionKey, bytes32 metadataHash) private {
        _register(provider, Role.Provider, encryptionKey, metadataHash);
        Account storage a = _accounts[provider];
        a.status = ProviderStatus.Pending;
        a.kind = kind;
        emit ProviderApplied(provider, kind, encryptionKey, metadataHash);
    }

    /// @dev Checks an EIP-712 signature by `signer` (EOA or ERC-1271) and consumes the signer's nonce, so it cannot be replayed.
    function _checkSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, _hashTypedDataV4(structHash), signature)) revert InvalidSignature();
        _useNonce(signer);
    }

    function _register(address account, Role role, bytes32 encryptionKey, bytes32 metadataHash) private {
        if (_accounts[account].role != Role.None) revert AlreadyRegistered(account);
        _accounts[account] = Account(role, ProviderStatus.None, ProviderKind.Doctor, uint64(block.timestamp), metadataHash, address(0));
        _pushKey(account, encryptionKey);
    }

    function _pushKey(address account, bytes32 publicKey) private {
        if (publicKey == bytes32(0)) revert InvalidKey();
        _keys[account].push(KeyRecord(publicKey, uint64(block.timestamp)));
        emit EncryptionKeyRotated(account, publicKey, _keys[account].length - 1);
    }

    function _addAdmin(address admin) private {
        if (admin == address(0)) revert InvalidAddress();
        if (_admins[admin]) revert AlreadyAdmin(admin);
        _admins[admin] = true;
        _adminList.push(admin);
        emit AdminAdded(admin);
    }

    function _setThresholds(uint256 accreditation, uint256 adminChanges) private {
        uint256 n = _adminList.length;
        if (accreditation == 0 || accreditation > n) revert InvalidThreshold(accreditation, n);
        if (adminChanges == 0 || adminChanges > n) revert InvalidThreshold(adminChanges, n);
        accreditationThreshold = accreditation;
        adminThreshold = adminChanges;
        emit ThresholdsChanged(accreditation, adminChanges);
    }
}
