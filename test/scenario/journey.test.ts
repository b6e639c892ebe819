/**
 * Engine independence: one patient/provider journey — deploy, register, accredit, grant, write at
 * the window's edges, request and relayed approval, break-glass, revoke, erase, anchor — run on
 * every engine in `engines.ts` (MedChain's embedded node, EDR and anvil). Each run produces a transcript
 * of return values, events and revert reasons; the transcripts must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, custom, decodeErrorResult, defineChain,
  encodeFunctionData, getAddress, keccak256, zeroAddress, parseEventLogs, toHex, type Abi, type Address, type Hex, type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, Permission, ProviderKind,
  RecordRegistryAbi, ScopeKind, SuspensionReason, ZERO_SCOPE, deployMedChain, grantTypedData, medChainContracts, recordCategory,
} from '../../src/sdk/contracts.ts';
import { CHAIN_ID, engines, type EngineInstance } from './engines.ts';
import { opaquePurpose } from '../purposes.ts';

const chain = defineChain({ id: CHAIN_ID, name: 'scenario', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } });
const ALL_ABIS = [...IdentityAbi, ...ConsentAbi, ...RecordRegistryAbi, ...IncentivesAbi, ...MedTokenAbi, ...AccessLogAnchorAbi] as Abi;
const BASE = 2_000_000_000n; // a fixed clock, so block times are the same on every engine

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

async function journey(engine: EngineInstance): Promise<string[]> {
  const transcript: string[] = [];
  const transport = custom(engine.provider, { retryCount: 0 });
  const client = createPublicClient({ chain, transport }) as PublicClient;
  const [admin, patient, doctor, lab, relayer] = engine.accounts.map((k) => privateKeyToAccount(k));
  const wallet = (a: typeof admin) => createWalletClient({ account: a!, chain, transport });
  let clock = BASE;
  const at = async (ts: bigint) => { clock = ts; await engine.setNextTimestamp(ts); };
  const tick = () => at(clock + 1n);

  // The block producer (`block.coinbase`) is the node's authority on the embedded node; EDR and
  // anvil get a fixed one. It is named <producer> in the transcript.
  const rpc = engine.provider.request as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
  await rpc({ method: 'hardhat_setCoinbase', params: ['0x00000000000000000000000000000000c0ffee00'] }).catch(() => undefined);
  const producer = getAddress(await rpc({ method: 'eth_coinbase' }) as string);
  assert.notEqual(producer, zeroAddress, 'blocks have a producer');

  await tick();
  const addresses = await deployMedChainAt(wallet(admin), client, tick);
  transcript.push(`deployed ${stringify(addresses)}`);
  const as = (a: typeof admin) => medChainContracts(wallet(a), addresses);
  const read = medChainContracts(client, addresses);

  /** Sends a transaction at the next second; records status, revert reason and decoded events. */
  const step = async (label: string, send: () => Promise<Hex>, simulate?: () => Promise<unknown>) => {
    if (simulate) {
      try { await simulate(); } catch (error) { transcript.push(`${label}: reverted ${revertName(error)}`); return undefined; }
    }
    await tick();
    const hash = await send();
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    const events = parseEventLogs({ abi: ALL_ABIS, logs: receipt.logs }).map((e) => `${e.eventName}${stringify(e.args)}`);
    if (process.env.SCENARIO_DEBUG) console.error(label, receipt.blockNumber, clock);
    transcript.push(`${label}: ${receipt.status} @${(await client.getBlock({ blockNumber: receipt.blockNumber })).timestamp - BASE} ${events.join(' ')}`);
    return receipt;
  };
  const view = async (label: string, call: () => Promise<unknown>) => {
    try { transcript.push(`${label} = ${stringify(await call())}`); } catch (error) { transcript.push(`${label}: reverted ${revertName(error)}`); }
  };

  const key = (s: string) => keccak256(toHex(s));
  await step('patient registers', () => as(patient!).identity.write.registerPatient([key('pk-patient'), key('meta-patient')]));
  await step('doctor applies', () => as(doctor!).identity.write.applyAsProvider([ProviderKind.Doctor, key('pk-doctor'), key('meta-doctor')]));
  await step('lab applies', () => as(lab!).identity.write.applyAsProvider([ProviderKind.Hospital, key('pk-lab'), key('meta-lab')]));
  const accredit = (a: Address) => encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [a] });
  await step('outsider tries to accredit', () => as(relayer!).identity.write.approve([addresses.identity, accredit(doctor!.address)]),
    () => read.identity.simulate.approve([addresses.identity, accredit(doctor!.address)], { account: relayer!.address }));
  await step('admin accredits doctor', () => as(admin!).identity.write.approve([addresses.identity, accredit(doctor!.address)]));
  await step('admin accredits lab', () => as(admin!).identity.write.approve([addresses.identity, accredit(lab!.address)]));

  const obs = recordCategory('Observation');
  const terms = { grantee: doctor!.address, scopeKind: ScopeKind.Category, scopeValue: obs, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: clock + 100n, validUntil: clock + 200n };
  await step('patient grants doctor Observation r/w for 100 s', () => as(patient!).consent.write.grant([terms]));
  const from = terms.validFrom;
  const until = terms.validUntil;
  const recordId = key('record-1');
  // A content id is registered once (RecordRegistry.ContentIdInUse): one per record version.
  const cidOf = (label: string): Hex => `0x01551220${key(`cid-${label}`).slice(2)}`;
  const add = (id: Hex) => as(doctor!).recordRegistry.write.addRecord([id, patient!.address, obs, cidOf(id), key(`hash-${id}`)], { gas: 1_000_000n });
  const authorizedIn = (label: string, blockNumber: bigint) => view(`isAuthorized at ${label}`,
    () => read.consent.read.isAuthorized([patient!.address, doctor!.address, ScopeKind.Category, obs, Permission.Write], { blockNumber }));
  // Writes mined at the window's exact edges, and isAuthorized evaluated in those same blocks.
  await at(from - 2n);
  const early = await step('doctor writes 1 s before the window', () => add(key('early')));
  await authorizedIn('before', early!.blockNumber);
  const first = await step('doctor writes at the first second', () => add(recordId));
  await authorizedIn('from', first!.blockNumber);
  await at(until - 2n);
  const last = await step('doctor writes at the last second', () => add(key('late-ok')));
  await authorizedIn('last', last!.blockNumber);
  const late = await step('doctor writes when the window closed', () => add(key('late')));
  await authorizedIn('until', late!.blockNumber);
  await view('record', () => read.recordRegistry.read.getRecord([recordId]));
  await view('doctor MED balance', () => read.token.read.balanceOf([doctor!.address]));
  await view('doctor contribution', () => read.incentives.read.contributionScore([doctor!.address]));
  await view('validators', () => read.incentives.read.getValidators());

  // Request, then approval by the patient's signature relayed by the lab.
  const ask = { ...terms, grantee: lab!.address, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, validFrom: 0n, validUntil: clock + 3_600n };
  const requested = await step('lab requests access', () => as(lab!).consent.write.requestAccess([patient!.address, ask]));
  const requestId = parseEventLogs({ abi: ConsentAbi, logs: requested!.logs, eventName: 'AccessRequested' })[0]!.args.requestId;
  const nonce = await read.consent.read.nonces([patient!.address]);
  const deadline = clock + 600n;
  const signature = await patient!.signTypedData(grantTypedData({ chainId: CHAIN_ID, consent: addresses.consent, patient: patient!.address, nonce, deadline, terms: ask, requestId }));
  await step('lab relays the patient\'s signed approval', () => as(lab!).consent.write.grantBySig([patient!.address, ask, requestId, deadline, signature]));
  await step('replay of the same signature', () => as(relayer!).consent.write.grantBySig([patient!.address, ask, requestId, deadline, signature]),
    () => read.consent.simulate.grantBySig([patient!.address, ask, requestId, deadline, signature], { account: relayer!.address }));
  await view('lab reads record', () => read.consent.read.canAccessRecord([patient!.address, lab!.address, obs, recordId, Permission.Read]));
  await step('patient revokes lab', () => as(patient!).consent.write.revoke([2n]));
  await view('lab reads record after revocation', () => read.consent.read.canAccessRecord([patient!.address, lab!.address, obs, recordId, Permission.Read]));

  // Break-glass, then its expiry.
  await step('lab opens break-glass', () => as(lab!).consent.write.openEmergencyAccess([patient!.address, key('reason')]));
  await view('lab emergency access', () => read.consent.read.hasEmergencyAccess([patient!.address, lab!.address]));
  await at(clock + 4n * 3600n);
  await engine.mine();
  await view('lab emergency access after 4 h', () => read.consent.read.hasEmergencyAccess([patient!.address, lab!.address]));
  await step('admin suspends lab', () => as(admin!).identity.write.suspendProvider([lab!.address, SuspensionReason.BreakGlassAbuse]));
  await step('suspended lab tries break-glass', () => as(lab!).consent.write.openEmergencyAccess([patient!.address, key('again')]),
    () => read.consent.simulate.openEmergencyAccess([patient!.address, key('again')], { account: lab!.address }));

  await step('patient updates the record', () => as(patient!).recordRegistry.write.updateRecord([recordId, 1, cidOf('v2'), key('v2')]));
  await step('stale update', () => as(patient!).recordRegistry.write.updateRecord([recordId, 1, cidOf('v2b'), key('v2b')]),
    () => read.recordRegistry.simulate.updateRecord([recordId, 1, cidOf('v2b'), key('v2b')], { account: patient!.address }));
  await step('patient erases the record', () => as(patient!).recordRegistry.write.eraseRecord([recordId]));
  await view('erased version 1', () => read.recordRegistry.read.getVersion([recordId, 1]));
  await step('admin anchors a log root', () => as(admin!).accessLogAnchor.write.anchor([1n, key('root'), 12n]));
  await view('anchor', () => read.accessLogAnchor.read.getAnchor([admin!.address, 1n]));
  return transcript.map((line) => line.replaceAll(producer, '<producer>').replaceAll(producer.toLowerCase(), '<producer>'));
}

/** Deploys with a fixed timestamp per transaction, so deployments are identical on every engine. */
async function deployMedChainAt(wallet: Parameters<typeof deployMedChain>[0], client: PublicClient, tick: () => Promise<void>) {
  // deployMedChain sends 6 transactions; each is mined at the next second.
  const tickingClient = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'waitForTransactionReceipt') {
        return async (args: Parameters<PublicClient['waitForTransactionReceipt']>[0]) => {
          const receipt = await target.waitForTransactionReceipt(args);
          await tick();
          return receipt;
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return deployMedChain(wallet, tickingClient);
}

function revertName(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      if (revert.data) return `${revert.data.errorName}${stringify(revert.data.args)}`;
      if (revert.raw) return decodeErrorResult({ abi: ALL_ABIS, data: revert.raw }).errorName;
      return revert.reason ?? 'unknown';
    }
  }
  throw error;
}

const transcripts = new Map<string, string[]>();
for (const engine of engines) {
  test(`MedChain journey on ${engine.name}`, async () => {
    const instance = await engine.start();
    try {
      const transcript = await journey(instance);
      transcripts.set(engine.name, transcript);
      const text = transcript.join('\n');
      // The journey's own expectations, whichever engine runs it.
      assert.match(text, /outsider tries to accredit: reverted NotAdmin/);
      assert.match(text, /doctor writes 1 s before the window: reverted/);
      assert.match(text, /doctor writes at the first second: success .*RecordAdded/);
      assert.match(text, /doctor writes at the last second: success/);
      assert.match(text, /doctor writes when the window closed: reverted/);
      assert.match(text, /isAuthorized at before = false/);
      assert.match(text, /isAuthorized at from = true/);
      assert.match(text, /isAuthorized at last = true/);
      assert.match(text, /isAuthorized at until = false/);
      assert.match(text, /replay of the same signature: reverted InvalidSignature/);
      assert.match(text, /lab reads record = true\n.*\nlab reads record after revocation = false/);
      assert.match(text, /lab emergency access = true\nlab emergency access after 4 h = false/);
      assert.match(text, /suspended lab tries break-glass: reverted NotActiveProvider/);
      assert.match(text, /stale update: reverted StaleVersion/);
      assert.match(text, /doctor MED balance = "10000000000000000000"/, "two records for one patient in one reward period: one author reward");
      assert.match(text, /ProducerRewarded\{"producer":"<producer>"/);
    } finally {
      await instance.close();
    }
  });
}

test('every engine produced the same transcript', () => {
  const [first, ...rest] = [...transcripts.entries()];
  assert.equal(transcripts.size, engines.length, 'every engine ran the journey to its end');
  assert.ok(first && rest.length > 0, 'at least two engines ran');
  for (const [name, transcript] of rest) assert.deepEqual(transcript, first[1], `${name} differs from ${first[0]}`);
});
