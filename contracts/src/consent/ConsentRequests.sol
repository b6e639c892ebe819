// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsentGrants} from "./ConsentGrants.sol";

/// @title Access requests: a provider asks, the patient approves (granting on their own terms), rejects, or the provider cancels
/// @dev Builds on ConsentGrants: an approval is a grant that records the request it answers.
abstract contract ConsentRequests is ConsentGrants {
    uint256 public requestCount;

    mapping(uint256 => AccessRequest) private _requests;
    mapping(address => uint256[]) private _requestsOfPatient;
    mapping(address => uint256[]) private _requestsOfProvider;

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

    function _approve(address patient, uint256 requestId, GrantTerms calldata terms) internal override returns (uint256 grantId) {
        AccessRequest storage r = _pendingRequest(requestId);
        if (r.patient != patient) revert NotRequestParty(requestId, patient);
        if (terms.grantee != r.provider) revert RequestMismatch(requestId);
        grantId = _grant(patient, terms, requestId);
        r.status = RequestStatus.Approved;
        r.grantId = grantId;
        emit AccessRequestApproved(requestId, grantId);
    }

    function _pendingRequest(uint256 requestId) private view returns (AccessRequest storage r) {
        r = _requests[requestId];
        if (r.status == RequestStatus.None) revert UnknownRequest(requestId);
        if (r.status != RequestStatus.Pending) revert RequestNotPending(requestId, r.status);
    }
}
