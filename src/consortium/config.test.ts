import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsortiumConfigError, defaultEscrowThreshold, hospitalNamed, parseConsortiumConfig, readConsortiumConfig } from './config.ts';

const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const hospital = (name: string, n: number) => ({
  name, gatewayUrl: `http://127.0.0.1:81${n}`, rpcUrl: 'http://127.0.0.1:8545', validator: address(100 + n), operator: address(200 + n),
  custodianPublicKey: `0x${'ab'.repeat(32)}`, enode: `enode://${'0'.repeat(128)}@127.0.0.1:30303`,
});
const valid = () => ({
  version: 1, name: 'test', chainId: 4242,
  engine: { kind: 'besu-qbft', besuVersion: '25.10.0', blockPeriodSeconds: 2, requestTimeoutSeconds: 4, epochLength: 30000 },
  contracts: { identity: address(1), consent: address(2), incentives: address(3), token: address(4), recordRegistry: address(5), accessLogAnchor: address(6), studies: address(7) },
  validatorContract: address(3),
  hospitals: [hospital('a', 1), hospital('b', 2), hospital('c', 3), hospital('d', 4)],
});

test('consortium.json: the shared format parses, addresses come back checksummed', () => {
  const config = parseConsortiumConfig(valid());
  assert.equal(config.hospitals.length, 4);
  assert.equal(config.contracts.identity, '0x0000000000000000000000000000000000000001');
  assert.equal(parseConsortiumConfig({ ...valid(), escrowThreshold: 3 }).escrowThreshold, 3);
  assert.equal(hospitalNamed(config, 'c').gatewayUrl, 'http://127.0.0.1:813');
  assert.throws(() => hospitalNamed(config, 'z'), /no hospital "z" \(there are: a, b, c, d\)/);
});

test('consortium.json: each mistake is refused with the field that is wrong', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...valid(), version: 2 }, /version/],
    [{ ...valid(), hospitals: [hospital('a', 1), hospital('a', 2)] }, /appears twice/],
    [{ ...valid(), hospitals: [{ ...hospital('A b', 1) }] }, /hospitals\.0\.name/],
    [{ ...valid(), hospitals: [{ ...hospital('a', 1), operator: '0x12' }] }, /hospitals\.0\.operator/],
    [{ ...valid(), hospitals: [{ ...hospital('a', 1), custodianPublicKey: '0x1234' }] }, /custodianPublicKey/],
    [{ ...valid(), escrowThreshold: 1 }, /escrowThreshold/],
    [{ ...valid(), contracts: { identity: address(1) } }, /contracts\.consent/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseConsortiumConfig(json, 'c.json'), (e: Error) => e instanceof ConsortiumConfigError && message.test(e.message) && e.message.startsWith('c.json: '));
  }
});

test('consortium.json: a missing or non-JSON file says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-consortium-config-'));
  try {
    assert.throws(() => readConsortiumConfig(join(dir, 'none.json')), /none\.json: cannot read it/);
    writeFileSync(join(dir, 'bad.json'), '{');
    assert.throws(() => readConsortiumConfig(join(dir, 'bad.json')), /bad\.json: not JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default escrow threshold is a strict majority of the hospitals, at least 2', () => {
  assert.deepEqual([2, 3, 4, 5, 7].map(defaultEscrowThreshold), [2, 2, 3, 3, 4]);
});
