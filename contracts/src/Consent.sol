// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IIdentity} from "./IIdentity.sol";
import {Governed} from "./Governed.sol";

/// @title Timed consent, access requests and break-glass emergency access
/// @notice A patient grants a grantee access to a scope of their records (all, a category — an opaque
/// bytes32 that must equal the records' category, blinded per patient off chain —, or one record) with
/// permissions (read, write), a purpose (an opaque bytes32 tag, blinded per patient and grantee off
/// chain; no logic here depends on it) and a window. A grant
/// is live while `validFrom <= block.timestamp < validUntil` and not revoked: it ends by itself.
/// @dev One grant per (patient, grantee, scope) slot is current: a new grant for the same slot
/// supersedes the old one, so every authorization check is a constant number of storage reads.
contract Consent is EIP712, Nonces, Governed {
    /// @notice What a grant covers.
    enum ScopeKind {
        All,
        Category,
        Record
    }

    /// @notice Where a grant stands at the current block time.
    enum GrantState {
        None,
        Upcoming,
        Active,
        Expired,
        Revoked
    }

    /// @notice Lifecycle of an access request.
    enum RequestStatus {
        None,
        Pending,
        Approved,
        Rejected,
        Cancelled
    }

    /// @notice The terms of a grant, as chosen by the patient.
    struct GrantTerms {
        address grantee;
        ScopeKind scopeKind;
        bytes32 scopeValue;
        uint8 permissions;
        /// Why access is granted: an opaque tag, HMAC of the purpose code under the patient's key and
        /// bound to the grantee (computed off chain, src/crypto/categoryKey.ts); never compared here.
        bytes32 purpose;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice A grant as stored.
    struct Grant {
        address patient;
        uint64 validFrom;
        uint64 validUntil;
        address grantee;
        uint64 revokedAt;
        ScopeKind scopeKind;
        uint8 permissions;
        bytes32 purpose;
        bytes32 scopeValue;
        uint256 requestId;
    }

    /// @notice A provider's request for access.
    struct AccessRequest {
        address provider;
        uint64 createdAt;
        RequestStatus status;
        address patient;
        GrantTerms terms;
        uint256 grantId;
    }

    /// @notice A break-glass access window.
    struct Emergency {
        uint64 openedAt;
        uint64 until;
        uint256 accessId;
    }

    uint8 public constant READ = 1;
    uint8 public constant WRITE = 2;
    uint64 public constant MIN_BREAK_GLASS = 5 minutes;
    uint64 public constant MAX_BREAK_GLASS = 72 hours;

    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address patient,address grantee,uint8 scopeKind,bytes32 scopeValue,uint8 permissions,bytes32 purpose,uint64 validFrom,uint64 validUntil,uint256 requestId,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256("Revoke(address patient,uint256 grantId,uint256 nonce,uint256 deadline)");
    bytes32 public constant EXTEND_TYPEHASH = keccak256("Extend(address patient,uint256 grantId,uint64 validUntil,uint256 nonce,uint256 deadline)");


    /// @notice How long break-glass access lasts; set by governance.
    uint64 public breakGlassDuration = 4 hours;

    uint256 public grantCount;
    uint256 public requestCount;
    uint256 public emergencyCount;

    mapping(uint256 => Grant) private _grants;
    mapping(bytes32 => uint256) private _currentGrant;
    mapping(address => uint256[]) private _grantsOfPatient;
    mapping(address => uint256[]) private _grantsOfGrantee;
    mapping(uint256 => AccessRequest) private _requests;
    mapping(address => uint256[]) private _requestsOfPatient;
    mapping(address => uint256[]) private _requestsOfProvider;
    mapping(address => mapping(address => Emergency)) private _emergency;
    /// @notice How many times each provider has opened break-glass access.
    mapping(address => uint256) public emergencyOpenedBy;
    /// @notice Whether the patient closed `provider`'s break-glass access, which bars that provider from
    /// opening it again for that patient until the patient or governance allows it (patient => provider => barred).
    mapping(address => mapping(address => bool)) public emergencyReopenBarred;

    error NotPatient(address account);
    error NotActiveProvider(address account);
    error InvalidGrantee(address grantee);
    error InvalidScope();
    error InvalidPermissions(uint8 permissions);
    error InvalidWindow(uint64 validFrom, uint64 validUntil);
    error UnknownGrant(uint256 grantId);
    error NotGrantPatient(uint256 grantId, address account);
    error GrantNotLive(uint256 grantId);
    error UnknownRequest(uint256 requestId);
    error RequestNotPending(uint256 requestId, RequestStatus status);
    error RequestMismatch(uint256 requestId);
    error NotRequestParty(uint256 requestId, address account);
    error SignatureExpired(uint256 deadline);
    error InvalidSignature();
    error InvalidDuration(uint64 duration);
    error NoEmergencyAccess(address patient, address provider);
    error EmergencyAccessAlreadyOpen(address patient, address provider, uint64 until);
    error EmergencyReopenBarred(address patient, address provider);
    error EmergencyReopenNotBarred(address patient, address provider);

    event GrantCreated(
        uint256 indexed grantId,
        address indexed patient,
        address indexed grantee,
        ScopeKind scopeKind,
        bytes32 scopeValue,
        uint8 permissions,
        bytes32 purpose,
        uint64 validFrom,
        uint64 validUntil,
        uint256 requestId
    );
    event GrantSuperseded(uint256 indexed grantId, uint256 indexed byGrantId);
    event GrantRevoked(uint256 indexed grantId, address indexed patient, address indexed grantee);
    event GrantExtended(uint256 indexed grantId, uint64 previousValidUntil, uint64 validUntil);
    event AccessRequested(
        uint256 indexed requestId, address indexed patient, address indexed provider, ScopeKind scopeKind, bytes32 scopeValue, uint8 permissions, bytes32 purpose, uint64 validFrom, uint64 validUntil
    );
    event AccessRequestApproved(uint256 indexed requestId, uint256 indexed grantId);
    event AccessRequestRejected(uint256 indexed requestId);
    event AccessRequestCancelled(uint256 indexed requestId);
    event EmergencyAccessOpened(
        uint256 indexed accessId, address indexed patient, address indexed provider, bytes32 reasonHash, uint64 until
    );
    event EmergencyAccessClosed(uint256 indexed accessId, address indexed patient, address indexed provider, address closedBy);
    event BreakGlassDurationChanged(uint64 duration);
    /// @notice The patient closed `provider`'s break-glass access: that provider cannot open it again for them.
    event EmergencyReopenBarredBy(address indexed patient, address indexed provider, uint256 indexed accessId);
    /// @notice `provider` may open break-glass access to `patient` again; `allowedBy` is the patient or governance.
    event EmergencyReopenAllowed(address indexed patient, address indexed provider, address allowedBy);

    /// @param identity_ The Identity contract (also the governance executor).
    constructor(IIdentity identity_) EIP712("MedChain Consent", "1") Governed(identity_) {}

    // ---------------------------------------------------------------- grants

    /// @notice Grant access to the caller's records.
    /// @param terms Grantee, scope, permissions, purpose and window (`validFrom` 0 means now).
    /// @return grantId The new grant.
    function grant(GrantTerms calldata terms) external returns (uint256 grantId) {
        return _grant(msg.sender, terms, 0);
    }

    /// @notice Create a grant signed by the patient (EIP-712); anyone may relay it, so patients need no funds.
    /// @param patient The signer.
    /// @param terms The grant's terms.
    /// @param requestId The access request this approves, or 0.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The patient's EIP-712 signature (or an ERC-1271 contract signature).
    /// @return grantId The new grant.
    function grantBySig(address patient, GrantTerms calldata terms, uint256 requestId, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 grantId)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                patient,
                terms.grantee,
                terms.scopeKind,
                terms.scopeValue,
                terms.permissions,
                terms.purpose,
                terms.validFrom,
                terms.validUntil,
                requestId,
                nonces(patient),
                deadline
            )
        );
        _checkSignature(patient, structHash, deadline, signature);
        if (requestId != 0) return _approve(patient, requestId, terms);
        return _grant(patient, terms, 0);
    }

    /// @notice End a grant now.
    /// @param grantId The grant.
    function revoke(uint256 grantId) external {
        _revoke(msg.sender, grantId);
    }

    /// @notice End a grant now, by the patient's EIP-712 signature relayed by anyone.
    function revokeBySig(address patient, uint256 grantId, uint256 deadline, bytes calldata signature) external {
        _checkSignature(patient, keccak256(abi.encode(REVOKE_TYPEHASH, patient, grantId, nonces(patient), deadline)), deadline, signature);
        _revoke(patient, grantId);
    }

    /// @notice Move a live or upcoming grant's end later.
    /// @param grantId The grant.
    /// @param validUntil The new end (later than the current one).
    function extend(uint256 grantId, uint64 validUntil) external {
        _extend(msg.sender, grantId, validUntil);
    }

    /// @notice Extend a grant by the patient's EIP-712 signature relayed by anyone.
    function extendBySig(address patient, uint256 grantId, uint64 validUntil, uint256 deadline, bytes calldata signature) external {
        _checkSignature(
            patient, keccak256(abi.encode(EXTEND_TYPEHASH, patient, grantId, validUntil, nonces(patient), deadline)), deadline, signature
        );
        _extend(patient, grantId, validUntil);
    }

    // ---------------------------------------------------------------- requests

    /// @notice A provider asks a patient for access.
    /// @param patient The patient.
    /// @param terms The access asked for (`grantee` must be the caller).
    /// @return requestId The new request.
    function requestAccess(address patient, GrantTerms calldata terms) external returns (uint256 requestId) {
        if (!identity.isActiveProvider(msg.sender)) revert NotActiveProvider(msg.sender);
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        if (terms.grantee != msg.sender) revert InvalidGrantee(terms.grantee);
        _validateTerms(patient, terms);
        requestId = ++requestCount;
        _requests[requestId] = AccessRequest(msg.sender, uint64(block.timestamp), RequestStatus.Pending, patient, terms, 0);
        _requestsOfPatient[patient].push(requestId);
        _requestsOfProvider[msg.sender].push(requestId);
        emit AccessRequested(
            requestId, patient, msg.sender, terms.scopeKind, terms.scopeValue, terms.permissions, terms.purpose, terms.validFrom, terms.validUntil
        );
    }

    /// @notice The patient approves a request, choosing the window and scope actually granted.
    /// @param requestId The request.
    /// @param terms The grant's terms (the grantee must be the requester).
    /// @return grantId The new grant.
    function approveRequest(uint256 requestId, GrantTerms calldata terms) external returns (uint256 grantId) {
        return _approve(msg.sender, requestId, terms);
    }

    /// @notice The patient rejects a request.
    function rejectRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.patient != msg.sender) revert NotRequestParty(requestId, msg.sender);
        r.status = RequestStatus.Rejected;
        emit AccessRequestRejected(requestId);
    }

    /// @notice The provider withdraws their request.
    function cancelRequest(uint256 requestId) external {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.provider != msg.sender) revert NotRequestParty(requestId, msg.sender);
        r.status = RequestStatus.Cancelled;
        emit AccessRequestCancelled(requestId);
    }

    // ---------------------------------------------------------------- break-glass

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

    // ---------------------------------------------------------------- authorization views

    /// @notice Whether `grantee` holds a live grant from `patient` that covers `scope` with `permission`.
    /// @dev A grant covers a scope when its scope is All, or when kind and value are equal. Exact to
    /// the second: live from `validFrom` inclusive to `validUntil` exclusive. A suspended provider holds nothing.
    /// @param patient The patient.
    /// @param grantee The grantee.
    /// @param scopeKind The scope asked about.
    /// @param scopeValue Category (opaque bytes32, compared for equality) or record id (zero for All).
    /// @param permission READ, WRITE or both.
    function isAuthorized(address patient, address grantee, ScopeKind scopeKind, bytes32 scopeValue, uint8 permission)
        public
        view
        returns (bool)
    {
        _checkPermission(permission);
        if (!_granteeInGoodStanding(patient, grantee)) return false;
        if (_liveSlot(patient, grantee, ScopeKind.All, bytes32(0), permission)) return true;
        return scopeKind != ScopeKind.All && _liveSlot(patient, grantee, scopeKind, scopeValue, permission);
    }

    /// @notice Whether `accessor` may use `permission` on the patient's record `recordId` of `category`:
    /// the patient themself, a live grant for all records, the category or the record, or (read only) live break-glass access.
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

    /// @notice Whether `provider` has live break-glass access to `patient`.
    function hasEmergencyAccess(address patient, address provider) public view returns (bool) {
        return _emergency[patient][provider].until > block.timestamp && identity.isActiveProvider(provider);
    }

    /// @notice The latest break-glass window of `provider` on `patient`.
    function emergencyOf(address patient, address provider) external view returns (Emergency memory) {
        return _emergency[patient][provider];
    }

    /// @notice A grant.
    function getGrant(uint256 grantId) external view returns (Grant memory) {
        return _grants[grantId];
    }

    /// @notice Where a grant stands now.
    function grantState(uint256 grantId) public view returns (GrantState) {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) return GrantState.None;
        if (g.revokedAt != 0) return GrantState.Revoked;
        if (block.timestamp < g.validFrom) return GrantState.Upcoming;
        if (block.timestamp >= g.validUntil) return GrantState.Expired;
        return GrantState.Active;
    }

    /// @notice The current grant id in a (patient, grantee, scope) slot, or 0.
    function currentGrant(address patient, address grantee, ScopeKind scopeKind, bytes32 scopeValue) external view returns (uint256) {
        return _currentGrant[_slot(patient, grantee, scopeKind, scopeValue)];
    }

    /// @notice Ids of every grant a patient made, oldest first.
    function grantsOfPatient(address patient) external view returns (uint256[] memory) {
        return _grantsOfPatient[patient];
    }

    /// @notice Ids of every grant made to a grantee, oldest first.
    function grantsOfGrantee(address grantee) external view returns (uint256[] memory) {
        return _grantsOfGrantee[grantee];
    }

    /// @notice An access request.
    function getRequest(uint256 requestId) external view returns (AccessRequest memory) {
        return _requests[requestId];
    }

    /// @notice Ids of every request made to a patient.
    function requestsOfPatient(address patient) external view returns (uint256[] memory) {
        return _requestsOfPatient[patient];
    }

    /// @notice Ids of every request a provider made.
    function requestsOfProvider(address provider) external view returns (uint256[] memory) {
        return _requestsOfProvider[provider];
    }

    /// @notice The EIP-712 domain separator (binds chain id and this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _grant(address patient, GrantTerms calldata terms, uint256 requestId) private returns (uint256 grantId) {
        if (!identity.isPatient(patient)) revert NotPatient(patient);
        _validateTerms(patient, terms);
        uint64 validFrom = terms.validFrom == 0 ? uint64(block.timestamp) : terms.validFrom;
        grantId = ++grantCount;
        _grants[grantId] = Grant(
            patient, validFrom, terms.validUntil, terms.grantee, 0, terms.scopeKind, terms.permissions, terms.purpose, terms.scopeValue, requestId
        );
        bytes32 slot = _slot(patient, terms.grantee, terms.scopeKind, terms.scopeValue);
        uint256 previous = _currentGrant[slot];
        if (previous != 0) {
            GrantState state = grantState(previous);
            if (state == GrantState.Active || state == GrantState.Upcoming) {
                _grants[previous].revokedAt = uint64(block.timestamp);
                emit GrantSuperseded(previous, grantId);
            }
        }
        _currentGrant[slot] = grantId;
        _grantsOfPatient[patient].push(grantId);
        _grantsOfGrantee[terms.grantee].push(grantId);
        emit GrantCreated(
            grantId, patient, terms.grantee, terms.scopeKind, terms.scopeValue, terms.permissions, terms.purpose, validFrom, terms.validUntil, requestId
        );
    }

    function _approve(address patient, uint256 requestId, GrantTerms calldata terms) private returns (uint256 grantId) {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.patient != patient) revert NotRequestParty(requestId, patient);
        if (terms.grantee != r.provider) revert RequestMismatch(requestId);
        grantId = _grant(patient, terms, requestId);
        r.status = RequestStatus.Approved;
        r.grantId = grantId;
        emit AccessRequestApproved(requestId, grantId);
    }

    function _revoke(address patient, uint256 grantId) private {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) revert UnknownGrant(grantId);
        if (g.patient != patient) revert NotGrantPatient(grantId, patient);
        GrantState state = grantState(grantId);
        if (state != GrantState.Active && state != GrantState.Upcoming) revert GrantNotLive(grantId);
        g.revokedAt = uint64(block.timestamp);
        emit GrantRevoked(grantId, patient, g.grantee);
    }

    function _extend(address patient, uint256 grantId, uint64 validUntil) private {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) revert UnknownGrant(grantId);
        if (g.patient != patient) revert NotGrantPatient(grantId, patient);
        GrantState state = grantState(grantId);
        if (state != GrantState.Active && state != GrantState.Upcoming) revert GrantNotLive(grantId);
        if (validUntil <= g.validUntil) revert InvalidWindow(g.validFrom, validUntil);
        uint64 previous = g.validUntil;
        g.validUntil = validUntil;
        emit GrantExtended(grantId, previous, validUntil);
    }

    function _validateTerms(address patient, GrantTerms calldata terms) private view {
        address grantee = terms.grantee;
        if (grantee == address(0) || grantee == patient) revert InvalidGrantee(grantee);
        if (!identity.isActiveProvider(grantee) && identity.deviceOwner(grantee) != patient) revert InvalidGrantee(grantee);
        if ((terms.scopeKind == ScopeKind.All) != (terms.scopeValue == bytes32(0))) revert InvalidScope();
        if (terms.permissions == 0 || terms.permissions > (READ | WRITE)) revert InvalidPermissions(terms.permissions);
        uint64 validFrom = terms.validFrom == 0 ? uint64(block.timestamp) : terms.validFrom;
        if (terms.validUntil <= validFrom || terms.validUntil <= block.timestamp) revert InvalidWindow(terms.validFrom, terms.validUntil);
    }

    function _checkSignature(address patient, bytes32 structHash, uint256 deadline, bytes calldata signature) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(patient, _hashTypedDataV4(structHash), signature)) revert InvalidSignature();
        _useNonce(patient);
    }

    function _checkPermission(uint8 permission) private pure {
        if (permission == 0 || permission > (READ | WRITE)) revert InvalidPermissions(permission);
    }

    function _pendingRequest(uint256 requestId) private view returns (AccessRequest storage r) {
        r = _requests[requestId];
        if (r.status == RequestStatus.None) revert UnknownRequest(requestId);
        if (r.status != RequestStatus.Pending) revert RequestNotPending(requestId, r.status);
    }

    function _granteeInGoodStanding(address patient, address grantee) private view returns (bool) {
        return identity.isActiveProvider(grantee) || (grantee != address(0) && identity.deviceOwner(grantee) == patient);
    }

    function _liveSlot(address patient, address grantee, ScopeKind kind, bytes32 value, uint8 permission) private view returns (bool) {
        uint256 id = _currentGrant[_slot(patient, grantee, kind, value)];
        if (id == 0) return false;
        Grant storage g = _grants[id];
        return g.revokedAt == 0 && g.validFrom <= block.timestamp && block.timestamp < g.validUntil && (g.permissions & permission) == permission;
    }

    function _slot(address patient, address grantee, ScopeKind kind, bytes32 value) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, kind, value));
    }
}
