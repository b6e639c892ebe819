// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIdentity} from "./interfaces/IIdentity.sol";
import {IIncentives} from "./interfaces/IIncentives.sol";
import {Governed} from "./Governed.sol";
import {MedToken} from "./MedToken.sol";

/// @title Rewards for record work and block production, contribution scores and the validator set
/// @notice Record work rewards its author (if an accredited provider) and the producer of the block
/// that includes it (`block.coinbase`) in MedToken, with amounts set by governance.
/// Bounds, so that junk versions (CIDs with no blob, repeated updates) earn next to nothing:
/// an author earns one contribution point and one author reward per patient per `rewardPeriod`
/// (however many versions they write for that patient; writing at all needs the patient's live
/// write grant), and a block producer one producer reward per block.
/// @dev `getValidators()` has the signature Hyperledger Besu's QBFT contract-based validator
/// selection calls (`validatorselectionmode: contract`). Scores alone never move it: governance
/// adopts the score ranking (`adoptValidatorRanking`, adminThreshold approvals); until then, or when
/// every adopted validator is suspended, it returns the initial (genesis) validators.
contract Incentives is IIncentives, Governed {
    MedToken public immutable token;

    /// @notice The contract allowed to report record work (the RecordRegistry).
    address public recordRegistry;
    /// @notice MED minted to the author of each record version.
    uint256 public authorReward = 10 ether;
    /// @notice MED minted to the producer of the block that includes a record version.
    uint256 public producerReward = 1 ether;
    /// @notice Bound on the validator set's size.
    uint256 public maxValidators = 4;
    uint256 public constant MAX_VALIDATORS_LIMIT = 64;
    /// @notice Length of a reward period: an author is rewarded at most once per patient per period.
    uint64 public rewardPeriod = 1 days;
    uint64 public constant MIN_REWARD_PERIOD = 1 hours;
    uint64 public constant MAX_REWARD_PERIOD = 30 days;

    mapping(address => uint256) public contributionScore;
    address[] private _contributors;
    address[] private _initialValidators;
    /// @dev The validator set adopted by governance from the ranking (empty: the initial validators).
    address[] private _adoptedValidators;
    /// @dev keccak256(author, patient) => 1 + the last period the author was rewarded for that patient.
    mapping(bytes32 => uint256) private _rewardedPeriod;
    /// @dev The last block whose producer was rewarded.
    uint256 private _rewardedBlock;

    /// @param identity_ The Identity contract (governance executor).
    /// @param genesisValidators The validator set until providers contribute (the chain's genesis validators).
    constructor(IIdentity identity_, address[] memory genesisValidators) Governed(identity_) {
        if (genesisValidators.length == 0) revert NoValidators();
        token = new MedToken(address(this));
        _initialValidators = genesisValidators;
    }

    /// @notice Set the contract that reports record work. Governance only.
    function setRecordRegistry(address registry) external onlyGovernance {
        recordRegistry = registry;
        emit RecordRegistrySet(registry);
    }

    /// @notice Set reward amounts. Governance only.
    /// @param authorReward_ MED per record version to its author.
    /// @param producerReward_ MED per record version to the block producer.
    function setRewards(uint256 authorReward_, uint256 producerReward_) external onlyGovernance {
        authorReward = authorReward_;
        producerReward = producerReward_;
        emit RewardsChanged(authorReward_, producerReward_);
    }

    /// @notice Set the bound on the validator set. Governance only.
    /// @param count Between 1 and 64.
    function setMaxValidators(uint256 count) external onlyGovernance {
        if (count == 0 || count > MAX_VALIDATORS_LIMIT) revert InvalidValidatorCount(count);
        maxValidators = count;
        emit MaxValidatorsChanged(count);
    }

    /// @notice Set the reward period. Governance only.
    /// @param period Seconds, between 1 hour and 30 days.
    function setRewardPeriod(uint64 period) external onlyGovernance {
        if (period < MIN_REWARD_PERIOD || period > MAX_REWARD_PERIOD) revert InvalidRewardPeriod(period);
        rewardPeriod = period;
        emit RewardPeriodChanged(period);
    }

    /// @notice Make the current score ranking the validator set. Governance only (adminThreshold).
    function adoptValidatorRanking() external onlyGovernance {
        address[] memory ranked = ranking();
        if (ranked.length == 0) revert NoValidators();
        _adoptedValidators = ranked;
        emit ValidatorSetAdopted(ranked);
    }

    /// @notice Replace the initial validator set, e.g. to remove a consortium validator whose key is
    /// lost or whose hospital left, or to add a new hospital's node. Governance only (adminThreshold).
    /// @param validators The new set (node addresses), 1 to MAX_VALIDATORS_LIMIT of them.
    function setInitialValidators(address[] calldata validators) external onlyGovernance {
        if (validators.length == 0 || validators.length > MAX_VALIDATORS_LIMIT) revert InvalidValidatorCount(validators.length);
        _initialValidators = validators;
        emit InitialValidatorsChanged(validators);
    }

    /// @inheritdoc IIncentives
    function rewardRecordWork(address author, address patient) external {
        if (msg.sender != recordRegistry) revert NotRecordRegistry(msg.sender);
        if (author != patient && identity.isActiveProvider(author)) {
            bytes32 relation = keccak256(abi.encode(author, patient));
            uint256 period = block.timestamp / rewardPeriod + 1;
            if (_rewardedPeriod[relation] != period) {
                _rewardedPeriod[relation] = period;
                if (contributionScore[author] == 0) _contributors.push(author);
                uint256 score = ++contributionScore[author];
                if (authorReward > 0) token.mint(author, authorReward);
                emit AuthorRewarded(author, authorReward, score);
            }
        }
        if (block.coinbase != address(0) && producerReward > 0 && _rewardedBlock != block.number) {
            _rewardedBlock = block.number;
            token.mint(block.coinbase, producerReward);
            emit ProducerRewarded(block.coinbase, producerReward);
        }
    }

    /// @notice The current validator set, as Besu's QBFT contract-based validator selection reads it.
    /// @return validators The set governance adopted, without providers suspended since, or the initial validators.
    function getValidators() external view returns (address[] memory validators) {
        address[] storage adopted = _adoptedValidators;
        validators = new address[](adopted.length);
        uint256 n = 0;
        for (uint256 i = 0; i < adopted.length; i++) {
            if (identity.isActiveProvider(adopted[i])) validators[n++] = adopted[i];
        }
        if (n == 0) return _initialValidators;
        assembly {
            mstore(validators, n) // shrink to the active ones
        }
    }

    /// @notice The score ranking governance may adopt as the validator set.
    /// @return validators Top contributors among active providers, at most `maxValidators`, best first.
    function ranking() public view returns (address[] memory validators) {
        uint256 limit = maxValidators;
        address[] memory best = new address[](limit);
        uint256[] memory bestScores = new uint256[](limit);
        uint256 n = 0;
        // Exact top-k by insertion: O(contributors × k) in a view, fine for the hundreds of
        // providers a consortium accredits.
        for (uint256 i = 0; i < _contributors.length; i++) {
            address candidate = _contributors[i];
            if (!identity.isActiveProvider(candidate)) continue;
            uint256 score = contributionScore[candidate];
            uint256 pos = n;
            while (pos > 0 && _ranksAbove(score, candidate, bestScores[pos - 1], best[pos - 1])) pos--;
            if (pos >= limit) continue;
            uint256 last = n < limit ? n : limit - 1;
            for (uint256 j = last; j > pos; j--) {
                best[j] = best[j - 1];
                bestScores[j] = bestScores[j - 1];
            }
            best[pos] = candidate;
            bestScores[pos] = score;
            if (n < limit) n++;
        }
        validators = new address[](n);
        for (uint256 i = 0; i < n; i++) validators[i] = best[i];
    }

    /// @notice The validators used while nobody has contributed.
    function initialValidators() external view returns (address[] memory) {
        return _initialValidators;
    }

    /// @notice Every provider that has earned a contribution point.
    function contributors() external view returns (address[] memory) {
        return _contributors;
    }

    function _ranksAbove(uint256 score, address account, uint256 otherScore, address other) private pure returns (bool) {
        return score > otherScore || (score == otherScore && account < other);
    }
}
