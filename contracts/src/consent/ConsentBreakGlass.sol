// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsent} from "../interfaces/IConsent.sol";
import {ConsentBase} from "./ConsentBase.sol";

/// @title Break-glass: an accredited provider's time-boxed emergency read access to a patient
/// @dev Read access only (Consent.canAccessRecord); the window's length is set by governance.
abstract contract ConsentBreakGlass is ConsentBase {
    uint64 public constant MIN_BREAK_GLASS = 5 minutes;
    uint64 public constant MAX_BREAK_GLASS = 72 hours;

    /// @notice How long break-glass access lasts; set by governance.
    uint64 public breakGlassDuration = 4 hours;

    uint256 public emergencyCount;

    mapping(address => mapping(address => Emergency)) private _emergency;
    /// @notice How many times each provider has opened break-glass access.
    mapping(address => uint256) public emergencyOpenedBy;
    /// @notice Whether the patient closed `provider`'s break-glass access, which bars that provider from
    /// opening it again for that patient until the patient or governance allows it (patient => provider => barred).
    mapping(address => mapping(address => bool)) public emergencyReopenBarred;

    /// @notice An accredited provider opens time-boxed emergency read access to a patient.
    /// @dev A window cannot be re-opened while live (so it cannot be pushed later), and a provider whose
    /// window the patient closed cannot open another for that patient until the patient or governance
    /// allows it (`allowEmergencyReopen`).
    /// @param patient The patient.
    /// @param reasonHash Salted commitment to the coded and the stated reason, keccak256(salt ‖ code ‖ 0x00 ‖ text),
    /// both kept encrypted off chain for the patient and auditors (src/sdk/breakGlassReason.ts): no reason is readable here.
    /// @return accessId The emergency access's id.
    function openEmergencyAccess(address patient, bytes32 reasonHash) external returns (uint256 accessId) {
        if (!identity.isActiveProvider(msg.sender)) revert NotActiveProvider(msg.sender);
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        if (emergencyReopenBarred[patient][msg.sender]) revert EmergencyReopenBarred(patient, msg.sender);
        uint64 current = _emergency[patient][msg.sender].until;
        if (current > block.timestamp) revert EmergencyAccessAlreadyOpen(patient, msg.sender, current);
        accessId = ++emergencyCount;
        uint64 until = uint64(block.timestamp) + breakGlassDuration;
        _emergency[patient][msg.sender] = Emergency(uint64(block.timestamp), until, accessId);
        emergencyOpenedBy[msg.sender]++;
        emit EmergencyAccessOpened(accessId, patient, msg.sender, reasonHash, until);
    }

    /// @notice End emergency access early; the provider or the patient may do it. A close by the
    /// patient holds: that provider cannot open break-glass access to this patient again until the
    /// patient or governance allows it (`allowEmergencyReopen`).
    /// @param patient The patient.
    /// @param provider The provider.
    function closeEmergencyAccess(address patient, address provider) external {
        if (msg.sender != patient && msg.sender != provider) revert NotRequestParty(0, msg.sender);
        Emergency storage e = _emergency[patient][provider];
        if (e.until <= block.timestamp) revert NoEmergencyAccess(patient, provider);
        e.until = uint64(block.timestamp);
        emit EmergencyAccessClosed(e.accessId, patient, provider, msg.sender);
        if (msg.sender == patient) {
            emergencyReopenBarred[patient][provider] = true;
            emit EmergencyReopenBarredBy(patient, provider, e.accessId);
        }
    }

    /// @notice Lift the bar a patient's close put on `provider`: the patient themself, or governance
    /// (adminThreshold approvals, e.g. the patient is incapacitated again and the hospital reviewed the case).
    /// @param patient The patient.
    /// @param provider The provider barred from re-opening.
    function allowEmergencyReopen(address patient, address provider) external {
        if (msg.sender != patient && !_isGovernance()) revert NotGovernance();
        if (!emergencyReopenBarred[patient][provider]) revert EmergencyReopenNotBarred(patient, provider);
        emergencyReopenBarred[patient][provider] = false;
        emit EmergencyReopenAllowed(patient, provider, msg.sender);
    }

    /// @notice Set how long break-glass access lasts. Governance only.
    /// @param duration Seconds, between 5 minutes and 72 hours.
    function setBreakGlassDuration(uint64 duration) external onlyGovernance {
        if (duration < MIN_BREAK_GLASS || duration > MAX_BREAK_GLASS) revert InvalidDuration(duration);
        breakGlassDuration = duration;
        emit BreakGlassDurationChanged(duration);
    }

    /// @inheritdoc IConsent
    function hasEmergencyAccess(address patient, address provider) public view returns (bool) {
        return _emergency[patient][provider].until > block.timestamp && identity.isActiveProvider(provider);
    }

    /// @notice The latest break-glass window of `provider` on `patient`.
    function emergencyOf(address patient, address provider) external view returns (Emergency memory) {
        return _emergency[patient][provider];
    }
}
