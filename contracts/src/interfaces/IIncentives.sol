// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IIncentives
/// @notice The Incentives contract's errors and events, and the one call the RecordRegistry makes
/// (contracts/src/Incentives.sol implements it).
interface IIncentives {
    error NotRecordRegistry(address caller);
    error InvalidValidatorCount(uint256 count);
    error NoValidators();
    error InvalidRewardPeriod(uint64 period);

    event RewardsChanged(uint256 authorReward, uint256 producerReward);
    event MaxValidatorsChanged(uint256 maxValidators);
    event RecordRegistrySet(address recordRegistry);
    event AuthorRewarded(address indexed author, uint256 amount, uint256 score);
    event ProducerRewarded(address indexed producer, uint256 amount);
    event RewardPeriodChanged(uint64 period);
    event ValidatorSetAdopted(address[] validators);
    event InitialValidatorsChanged(address[] validators);

    /// @notice Reward record work: the author once per patient per period, the producer once per block. RecordRegistry only.
    /// @param author The account that wrote the version (rewarded only if an active provider).
    /// @param patient Whose record it is.
    function rewardRecordWork(address author, address patient) external;
}
