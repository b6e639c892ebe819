/**
 * A small contract compiled at test time with solc-js (no network): it writes storage, emits
 * events, reverts with a custom error and reads block.timestamp, which is what the node tests need.
 */
import { createRequire } from 'node:module';
import type { Abi, Hex } from 'viem';

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Counter {
  error TooLarge(uint256 value, uint256 limit);
  event Set(address indexed who, uint256 indexed value, bytes32 tag);
  mapping(address => uint256) public valueOf;
  uint256 public total;
  uint256 public notBefore;
  function set(uint256 value, bytes32 tag) external {
    if (value > 1_000_000) revert TooLarge(value, 1_000_000);
    valueOf[msg.sender] = value;
    total += value;
    emit Set(msg.sender, value, tag);
  }
  function fail(string calldata why) external pure { require(false, why); }
  function now_() external view returns (uint256) { return block.timestamp; }
  function coinbase() external view returns (address) { return block.coinbase; }
  function setNotBefore(uint256 t) external { notBefore = t; }
  /// Succeeds only from the given second on (a timed-grant edge).
  function open() external view returns (bool) { return block.timestamp >= notBefore; }
  /// Uses little gas but requires a lot to be left: gas estimation must search, not just measure.
  function needsGas() external { require(gasleft() > 300_000, "need gas"); total += 1; }
}`;

let cached: { abi: Abi; bytecode: Hex } | undefined;

export function counterContract(): { abi: Abi; bytecode: Hex } {
  if (cached) return cached;
  const solc = createRequire(import.meta.url)('solc');
  const out = JSON.parse(solc.compile(JSON.stringify({
    language: 'Solidity',
    sources: { 'Counter.sol': { content: SOURCE } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  })));
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n'));
  const c = out.contracts['Counter.sol'].Counter;
  cached = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  return cached;
}
