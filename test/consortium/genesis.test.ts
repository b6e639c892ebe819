/**
 * `medchain consortium init`'s genesis, proven on an EVM that did not make it: the generated
 * genesis.json is loaded as is by Foundry's anvil (`--init`, revm; the embedded node made the
 * dump), and the MedChain journey — register, accredit with the consortium's governance
 * approvals, relayed EIP-712 grant, record write and read, revoke, break-glass, anchoring, removing
 * a validator by governance — runs
 * against contracts that exist from block 0, with no deployment transaction. The genesis' QBFT
 * shape (config.qbft, contract-mode extraData, validator contract), consortium.json, the keystores
 * and the Besu node files are checked too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RLP } from '@ethereumjs/rlp';
import {
  createPublicClient, createWalletClient, custom, defineChain, encodeFunctionData, getAddress, keccak256, parseEventLogs, toHex,
  type Address, type Hex, type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  ConsentAbi, IdentityAbi, IncentivesAbi, Permission, ProviderKind, ProviderStatus, ScopeKind, grantTypedData, medChainContracts, recordCategory,
} from '../../src/sdk/contracts.ts';
import { decryptKeystore } from '../../src/crypto/keystore.ts';
import { openCustodianKeystore } from '../../src/cli/roleKeys.ts';
import { readConsortiumConfig, type ConsortiumConfig } from '../../src/consortium/config.ts';
import { ConsortiumInitError, initConsortium } from '../../src/consortium/initConsortium.ts';
import { NodeKeyMismatchError, writeBesuNodeKey } from '../../src/consortium/nodeKey.ts';
import { nodeIdOf } from '../../src/consortium/hospitalKeys.ts';
import { BESU_IMAGE } from '../../src/consortium/besuNodeFiles.ts';
import { startAnvil, type AnvilInstance } from '../scenario/anvil.ts';
import { cli } from '../cli/cliHarness.ts';
import { opaquePurpose } from '../purposes.ts';

const PASSPHRASE = 'consortium-test-passphrase';
const HOSPITALS = ['a', 'b', 'c', 'd'];
const CHAIN_ID = 4243;

let out: string;
let config: ConsortiumConfig;
let genesis: any;

before(async () => {
  out = mkdtempSync(join(tmpdir(), 'medchain-consortium-'));
  // Cheap scrypt: these keystores protect nothing.
  config = await initConsortium({ out, hospitals: HOSPITALS, chainId: CHAIN_ID, passphrase: PASSPHRASE, scryptN: 16, name: 'test-consortium' });
  genesis = JSON.parse(readFileSync(join(out, 'genesis.json'), 'utf8'));
});
after(() => rmSync(out, { recursive: true, force: true }));

test('fewer than 4 hospitals, a bad name or a threshold above the admins is refused before anything is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-consortium-bad-'));
  try {
    await assert.rejects(initConsortium({ out: dir, hospitals: ['a', 'b', 'c'], passphrase: PASSPHRASE, scryptN: 16 }), (e: Error) => e instanceof ConsortiumInitError && /at least 4 .*3f \+ 1/.test(e.message));
    await assert.rejects(initConsortium({ out: dir, hospitals: ['a', 'b', 'c', 'D/..'], passphrase: PASSPHRASE, scryptN: 16 }), ConsortiumInitError);
    await assert.rejects(initConsortium({ out: dir, hospitals: HOSPITALS, adminThreshold: 5, passphrase: PASSPHRASE, scryptN: 16 }), /between 1 and 4/);
    await assert.rejects(initConsortium({ out, hospitals: HOSPITALS, passphrase: PASSPHRASE, scryptN: 16 }), /exists: init never overwrites/);
    assert.equal(existsSync(join(dir, 'a')), false, 'nothing written for refused options');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('genesis.json is a Besu QBFT genesis with contract validator selection pointing at Incentives', () => {
  assert.equal(genesis.config.chainId, CHAIN_ID);
  assert.deepEqual(Object.keys(genesis.config.qbft).sort(), ['blockperiodseconds', 'epochlength', 'requesttimeoutseconds', 'validatorcontractaddress']);
  assert.deepEqual([genesis.config.qbft.blockperiodseconds, genesis.config.qbft.requesttimeoutseconds, genesis.config.qbft.epochlength], [2, 4, 30000]);
  assert.equal(getAddress(genesis.config.qbft.validatorcontractaddress), config.validatorContract);
  assert.equal(config.validatorContract, config.contracts.incentives);
  assert.equal(genesis.config.cancunTime, 0, 'the contracts are compiled for Cancun');
  assert.equal(genesis.config.zeroBaseFee, true);
  assert.equal(genesis.difficulty, '0x1');
  assert.equal(genesis.mixHash, '0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365');
  // RLP([32-byte vanity, no validators, no vote, round 0, no seals]) — Besu docs' contract-mode value.
  assert.equal(genesis.extraData, '0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0');
  const [vanity, validators, vote, round, seals] = RLP.decode(genesis.extraData) as unknown as [Uint8Array, unknown[], unknown[], Uint8Array, unknown[]];
  assert.deepEqual([vanity.length, validators.length, vote.length, round.length, seals.length], [32, 0, 0, 0, 0]);
  // Only the MedChain contracts are in alloc (no deployer, no funded account), each with code.
  const allocated = Object.keys(genesis.alloc).map((a) => getAddress(a)).sort();
  assert.deepEqual(allocated, Object.values(config.contracts).map((a) => getAddress(a)).sort());
  for (const account of Object.values(genesis.alloc) as Array<{ code: string; storage: Record<string, string> }>) {
    assert.match(account.code, /^0x[0-9a-f]{100,}$/);
    assert.ok(account.code.length / 2 - 1 <= 24_576, 'each contract fits the EIP-170 size limit (Besu default contractSizeLimit)');
    for (const [slot, value] of Object.entries(account.storage)) { assert.match(slot, /^0x[0-9a-f]{64}$/); assert.match(value, /^0x[0-9a-f]{64}$/); }
  }
});

test('consortium.json names every hospital with its keys, and each hospital directory holds its keystores and Besu files', async () => {
  assert.deepEqual(readConsortiumConfig(join(out, 'consortium.json')), config);
  assert.deepEqual(config.hospitals.map((h) => h.name), HOSPITALS);
  assert.deepEqual(config.engine.kind, 'besu-qbft');
  const enodes = config.hospitals.map((h) => h.enode);
  for (const hospital of config.hospitals) {
    const dir = join(out, hospital.name);
    const open = async (file: string) => (await decryptKeystore(JSON.parse(readFileSync(join(dir, file), 'utf8')), PASSPHRASE)).privateKey;
    const validatorKey = await open('validator.json');
    assert.equal(privateKeyToAccount(toHex(validatorKey)).address, hospital.validator);
    assert.equal(hospital.enode, `enode://${nodeIdOf(validatorKey)}@127.0.0.1:${30303 + HOSPITALS.indexOf(hospital.name)}`);
    assert.equal(privateKeyToAccount(toHex(await open('operator.json'))).address, hospital.operator);
    assert.equal(privateKeyToAccount(toHex(await open('admin.json'))).address, hospital.admin);
    const custodian = await openCustodianKeystore(join(dir, 'custodian.json'), { passphrase: PASSPHRASE, source: 'test' });
    assert.equal(toHex(custodian.key.publicKey), hospital.custodianPublicKey);
    assert.equal(statSync(join(dir, 'validator.json')).mode & 0o077, 0, 'keystores are readable by their owner only');

    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'besu', 'genesis.json'), 'utf8')), genesis);
    const permissions = readFileSync(join(dir, 'besu', 'permissions_config.toml'), 'utf8');
    for (const enode of enodes) assert.ok(permissions.includes(`"${enode}"`), 'the node allowlist lists every consortium node');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'besu', 'static-nodes.json'), 'utf8')), enodes.filter((e) => e !== hospital.enode));
    const toml = readFileSync(join(dir, 'besu', 'config.toml'), 'utf8');
    for (const line of ['permissions-nodes-config-file-enabled=true', 'discovery-enabled=false', 'min-gas-price=0', 'node-private-key-file="/keys/key"', 'genesis-file="/config/genesis.json"']) {
      assert.ok(toml.includes(line), `config.toml has ${line}`);
    }
    assert.ok(!/[0-9a-f]{64}/.test(toml), 'no key material in config.toml');
    assert.ok(readFileSync(join(dir, 'docker-compose.yml'), 'utf8').includes(`image: ${BESU_IMAGE}`));
  }
});

test('node-key writes Besu\'s key file from validator.json, and refuses another hospital\'s keystore', async () => {
  const [a, b] = config.hospitals;
  const written = await writeBesuNodeKey(join(out, 'a'), a!, PASSPHRASE);
  assert.equal(written.validator, a!.validator);
  const key = readFileSync(written.file, 'utf8') as Hex;
  assert.equal(privateKeyToAccount(key).address, a!.validator);
  assert.equal(statSync(written.file).mode & 0o777, 0o600);
  await assert.rejects(writeBesuNodeKey(join(out, 'a'), b!, PASSPHRASE), NodeKeyMismatchError);
  assert.equal(existsSync(join(out, 'b', 'keys', 'key')), false);
});

test('the MedChain journey runs on anvil against the contracts of the genesis alloc, with no deployment', async () => {
  const anvil: AnvilInstance = await startAnvil(['--init', join(out, 'genesis.json'), '--accounts', '0']);
  try {
    const chain = defineChain({ id: CHAIN_ID, name: 'consortium', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [anvil.url] } } });
    const transport = custom(anvil.provider, { retryCount: 0 });
    const client = createPublicClient({ chain, transport }) as PublicClient;
    assert.equal(await client.getChainId(), CHAIN_ID);
    assert.equal(await client.getBlockNumber(), 0n, 'nothing was mined: the contracts are in the genesis state');
    for (const address of Object.values(config.contracts)) assert.notEqual(await client.getCode({ address, blockNumber: 0n }), undefined);

    const rpc = anvil.provider.request as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
    // The genesis timestamp is 0x0 (Besu docs' advice; Besu's first block then takes the wall
    // clock). Anvil instead counts its clock on from the genesis timestamp, so blocks would carry
    // times near 0 — and a revocation stamped at second 0 reads as "not revoked". Set the wall clock.
    await rpc({ method: 'evm_setNextBlockTimestamp', params: [toHex(Math.floor(Date.now() / 1000))] });
    await rpc({ method: 'evm_mine', params: [] });
    const fund = (a: Address) => rpc({ method: 'anvil_setBalance', params: [a, toHex(10n ** 21n)] });
    const keyOf = async (hospital: string, file: string) => toHex((await decryptKeystore(JSON.parse(readFileSync(join(out, hospital, file), 'utf8')), PASSPHRASE)).privateKey);
    const admins = await Promise.all(HOSPITALS.map((h) => keyOf(h, 'admin.json').then(privateKeyToAccount)));
    const operatorA = privateKeyToAccount(await keyOf('a', 'operator.json'));
    const patient = privateKeyToAccount(generatePrivateKey());
    const doctor = privateKeyToAccount(generatePrivateKey());
    for (const a of [...admins, operatorA, patient, doctor]) await fund(a.address);
    const as = (account: typeof patient) => medChainContracts(createWalletClient({ account, chain, transport }), config.contracts);
    const read = medChainContracts(client, config.contracts);
    const mined = async (hash: Promise<Hex>) => {
      const receipt = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 20 });
      assert.equal(receipt.status, 'success');
      return receipt;
    };

    // The wiring init did on the scratch chain is the genesis state here.
    assert.deepEqual([...(await read.incentives.read.getValidators())], config.hospitals.map((h) => h.validator), 'QBFT reads the hospitals\' validators');
    assert.deepEqual([...(await read.identity.read.admins())].sort(), admins.map((a) => a.address).sort(), 'the hospitals\' admins, and only they (the deployer left)');
    assert.deepEqual([await read.identity.read.accreditationThreshold(), await read.identity.read.adminThreshold()], [3n, 3n]);
    for (const h of config.hospitals) assert.equal(await read.accessLogAnchor.read.isAnchorer([h.operator]), true);
    assert.equal(await read.incentives.read.recordRegistry(), getAddress(config.contracts.recordRegistry));

    const key = (s: string) => keccak256(toHex(s));
    await mined(as(patient).identity.write.registerPatient([key('pk-patient'), key('meta-patient')]));
    await mined(as(doctor).identity.write.applyAsProvider([ProviderKind.Doctor, key('pk-doctor'), key('meta-doctor')]));
    const accredit = encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [doctor.address] });
    await assert.rejects(read.identity.simulate.approve([config.contracts.identity, accredit], { account: patient.address }), /NotAdmin/);
    await mined(as(admins[0]!).identity.write.approve([config.contracts.identity, accredit]));
    await mined(as(admins[1]!).identity.write.approve([config.contracts.identity, accredit]));
    assert.equal(await read.identity.read.providerStatus([doctor.address]), ProviderStatus.Pending, 'two of four hospitals do not accredit alone');
    await mined(as(admins[2]!).identity.write.approve([config.contracts.identity, accredit]));
    assert.equal(await read.identity.read.providerStatus([doctor.address]), ProviderStatus.Active);

    // A grant signed by the patient (EIP-712 domain: this chain id and the genesis Consent), relayed by hospital a's operator.
    const obs = recordCategory('Observation');
    const now = (await client.getBlock()).timestamp;
    const terms = { grantee: doctor.address, scopeKind: ScopeKind.Category, scopeValue: obs, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 3_600n };
    const deadline = now + 600n;
    const signature = await patient.signTypedData(grantTypedData({ chainId: CHAIN_ID, consent: config.contracts.consent, patient: patient.address, nonce: 0n, deadline, terms }));
    const granted = await mined(as(operatorA).consent.write.grantBySig([patient.address, terms, 0n, deadline, signature]));
    const grantId = parseEventLogs({ abi: ConsentAbi, logs: granted.logs, eventName: 'GrantCreated' })[0]!.args.grantId;

    const recordId = key('record-1');
    await mined(as(doctor).recordRegistry.write.addRecord([recordId, patient.address, obs, `0x01551220${key('cid-1').slice(2)}`, key('hash-1')]));
    assert.equal((await read.recordRegistry.read.getRecord([recordId])).patient, patient.address);
    assert.equal(await read.consent.read.canAccessRecord([patient.address, doctor.address, obs, recordId, Permission.Read]), true);
    assert.ok((await read.token.read.balanceOf([doctor.address])) > 0n, 'Incentives rewards record work (registry linked at init)');

    await mined(as(patient).consent.write.revoke([grantId]));
    assert.equal(await read.consent.read.canAccessRecord([patient.address, doctor.address, obs, recordId, Permission.Read]), false);
    await assert.rejects(read.recordRegistry.simulate.addRecord([key('record-2'), patient.address, obs, `0x01551220${key('cid-2').slice(2)}`, key('hash-2')], { account: doctor.address }));

    await mined(as(doctor).consent.write.openEmergencyAccess([patient.address, key('reason')]));
    assert.equal(await read.consent.read.hasEmergencyAccess([patient.address, doctor.address]), true);

    await mined(as(operatorA).accessLogAnchor.write.anchor([1n, key('root'), 5n]));
    assert.equal((await read.accessLogAnchor.read.getAnchor([operatorA.address, 1n])).root, key('root'));

    // Removing a validator (runbook in docs/consortium.md): governance replaces the set QBFT reads.
    const remaining = config.hospitals.slice(0, 3).map((h) => h.validator);
    await assert.rejects(read.incentives.simulate.setInitialValidators([remaining], { account: admins[0]!.address }), /NotGovernance/);
    const removeD = encodeFunctionData({ abi: IncentivesAbi, functionName: 'setInitialValidators', args: [remaining] });
    await mined(as(admins[0]!).identity.write.approve([config.contracts.incentives, removeD]));
    await mined(as(admins[3]!).identity.write.approve([config.contracts.incentives, removeD]));
    assert.equal((await read.incentives.read.getValidators()).length, 4, 'two approvals do not change the validator set');
    await mined(as(admins[1]!).identity.write.approve([config.contracts.incentives, removeD]));
    assert.deepEqual([...(await read.incentives.read.getValidators())], remaining);
  } finally {
    await anvil.close();
  }
});

test('the CLI: too few hospitals is a usage error with the reason; node-key writes the key, a wrong passphrase writes nothing', async () => {
  const tooFew = await cli(['consortium', 'init', '--out', join(out, 'never'), '--hospitals', 'a,b,c'], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASSPHRASE });
  assert.equal(tooFew.code, 2);
  assert.match(tooFew.stderr, /at least 4: QBFT tolerates f faulty validators of 3f \+ 1/);
  assert.equal(existsSync(join(out, 'never')), false);

  const badFlag = await cli(['consortium', 'init', '--out', join(out, 'never'), '--hospitals', 'a,b,c,d', '--chain-id', 'abc'], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASSPHRASE });
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /--chain-id must be an integer/);
  const badName = await cli(['consortium', 'init', '--out', join(out, 'never'), '--hospitals', 'a,b,c,../d'], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASSPHRASE });
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /hospital name "\.\.\/d": lowercase letters, digits and dashes/);
  assert.equal(existsSync(join(out, 'never')), false);

  const consortium = join(out, 'consortium.json');
  const unknown = await cli(['consortium', 'node-key', '--hospital', 'z', '--consortium', consortium], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASSPHRASE });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no hospital "z" \(there are: a, b, c, d\)/);
  const wrong = await cli(['consortium', 'node-key', '--hospital', 'c', '--consortium', consortium], { MEDCHAIN_CONSORTIUM_PASSPHRASE: 'not the passphrase' });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /wrong passphrase for validator\.json/);
  assert.equal(existsSync(join(out, 'c', 'keys', 'key')), false);

  const written = await cli(['consortium', 'node-key', '--hospital', 'c', '--consortium', consortium, '--json'], { MEDCHAIN_CONSORTIUM_PASSPHRASE: PASSPHRASE });
  assert.equal(written.code, 0, written.stderr);
  assert.equal(JSON.parse(written.stdout).validator, config.hospitals[2]!.validator);
  assert.equal(privateKeyToAccount(readFileSync(join(out, 'c', 'keys', 'key'), 'utf8') as Hex).address, config.hospitals[2]!.validator);
  assert.ok(!written.stdout.includes(readFileSync(join(out, 'c', 'keys', 'key'), 'utf8').slice(2)), 'the key is never printed');
});
