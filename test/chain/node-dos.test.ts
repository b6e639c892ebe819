/**
 * Issue 14 item 1, performed for real: `medchain start` (embedded node and gateway in one
 * process, as shipped) with the demo hospital; 8 clients flood the gateway's public `POST /rpc`
 * with an infinite-loop eth_call (`0x5b600056`, no sign-in needed). Meanwhile /healthz and a
 * doctor's authorized record read must keep answering, and a patient's revocation (sent during
 * the flood) must be mined within two block periods, after which the doctor is refused.
 * Latencies are printed (never asserted: the machine is shared); order and outcomes are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, encodeFunctionData, http, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { readKeyBundle, unlockBundle } from '../../src/cli/keyFile.ts';
import { ConsentAbi } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { startMedchain, stop } from '../cli/cliHarness.ts';

const LOOP = '0x5b600056';
const FLOODERS = 8;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

async function rpc(url: string, token: string | undefined, method: string, params: unknown[] = []) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(`${url}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

test('an eth_call loop flood from 8 clients leaves /healthz, authorized reads and a revocation unharmed', { timeout: 600_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medchain-dos-'));
  const running = await startMedchain(['--data-dir', dataDir, '--port', '0', '--rpc-port', '0', '--demo', '--demo-patients', '2']);
  let flooding = true;
  try {
    const url = running.url;
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as { logins: Array<{ who: string; address: Address; file: string; passphrase: string }> };
    const keyOf = async (who: string) => {
      const login = demo.logins.find((l) => l.who.startsWith(who))!;
      return (await unlockBundle(login.file, readKeyBundle(login.file), login.passphrase)).account;
    };
    const doctor = await keyOf('doctor');
    const patientLogin = demo.logins.find((l) => l.who.startsWith('patient-2'))!;
    const patient = await keyOf('patient-2');
    const client = new GatewayClient(url);
    await client.signIn(doctor, { chainId: 1337 });
    const grant = (await client.grants({ grantee: doctor.address })).active.find((g) => g.patient.toLowerCase() === patientLogin.address.toLowerCase());
    assert.ok(grant, 'the demo doctor has a live grant from patient 2');
    const auth = { authorization: `Bearer ${client.sessionToken}` };
    const list = await (await fetch(`${url}/api/records?patient=${patient.address}`, { headers: auth })).json() as { records: Array<{ recordId: Hex }> };
    const recordId = list.records[0]!.recordId;
    const read = async () => {
      const started = performance.now();
      const res = await fetch(`${url}/api/records/${recordId}`, { headers: auth });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - started };
    };
    assert.equal((await read()).status, 200);

    // The revocation is signed before the flood (a wallet signs locally; gas from a quiet estimate).
    const pub = createPublicClient({ transport: http(running.rpcUrl) });
    const data = encodeFunctionData({ abi: ConsentAbi, functionName: 'revoke', args: [BigInt(grant.grantId)] });
    const gas = await pub.estimateGas({ account: patient.address, to: running.addresses.consent, data });
    const nonce = await pub.getTransactionCount({ address: patient.address, blockTag: 'pending' });
    const revoke = await patient.signTransaction({ chainId: 1337, type: 'eip1559', nonce, gas: gas * 2n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: running.addresses.consent, data });

    // The flood: 8 clients, each a fresh key signed in (the gateway's /rpc answers eth_call only to a
    // session; anyone can get one), sending the loop again as soon as it is answered.
    const floodTokens = await Promise.all(Array.from({ length: FLOODERS }, async () => {
      const attacker = new GatewayClient(url);
      await attacker.signIn(privateKeyToAccount(generatePrivateKey()), { chainId: 1337 });
      return attacker.sessionToken!;
    }));
    const patientClient = new GatewayClient(url);
    await patientClient.signIn(patient, { chainId: 1337 });
    const patientToken = patientClient.sessionToken!;
    const floodAnswers = new Map<string, number>();
    const flooders = floodTokens.map(async (token) => {
      while (flooding) {
        const r = await rpc(url, token, 'eth_call', [{ data: LOOP }]).catch((e: Error) => ({ error: { code: 0, message: e.message } }));
        const key = 'error' in r && r.error ? `${r.error.code} ${r.error.message}` : 'result';
        floodAnswers.set(key, (floodAnswers.get(key) ?? 0) + 1);
      }
    });
    await new Promise((r) => setTimeout(r, 3_000)); // the workers are saturated

    const healthz: number[] = [];
    const reads: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const h = await fetch(`${url}/healthz`);
      healthz.push(performance.now() - started);
      assert.equal(h.status, 200, `healthz: ${await h.text()}`);
      const r = await read();
      assert.equal(r.status, 200, 'the doctor still reads (grant live)');
      reads.push(r.ms);
      await new Promise((res) => setTimeout(res, 200));
    }

    const submittedAt = BigInt((await rpc(url, patientToken, 'eth_blockNumber')).result as string);
    const sentAt = performance.now();
    const hash = (await rpc(url, patientToken, 'eth_sendRawTransaction', [revoke])).result as Hex;
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    type Receipt = { blockNumber: string; status: string; transactionIndex: string };
    let receipt: Receipt | undefined;
    while (!receipt && performance.now() - sentAt < 60_000) {
      receipt = ((await rpc(url, patientToken, 'eth_getTransactionReceipt', [hash])).result ?? undefined) as Receipt | undefined;
      if (!receipt) await new Promise((r) => setTimeout(r, 50));
    }
    const minedMs = performance.now() - sentAt;
    assert.ok(receipt, 'the revocation was mined');
    assert.equal(receipt.status, '0x1');
    const blocks = BigInt(receipt.blockNumber) - submittedAt;
    assert.ok(blocks <= 2n, `revocation mined ${blocks} blocks after submission (at most 2 block periods)`);

    // The revocation takes effect for the doctor while the flood goes on.
    let denied = false;
    for (let i = 0; i < 50 && !denied; i++) {
      denied = (await read()).status === 403;
      if (!denied) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(denied, 'after the revocation the doctor is refused');
    flooding = false;
    await Promise.all(flooders);
    const answers = Object.fromEntries(floodAnswers);
    // Each loop ends at the 5 s timeout, or at the 50M RPC gas cap when the machine runs it faster.
    const bounded = (k: string) => k === '-32000 execution aborted (timeout = 5s)' || k === '-32000 out of gas' || k.startsWith('-32005 ');
    assert.ok(Object.keys(answers).every(bounded), `flood answers: ${JSON.stringify(answers)}`);
    assert.ok((answers['-32000 execution aborted (timeout = 5s)'] ?? 0) + (answers['-32000 out of gas'] ?? 0) >= 1);
    console.log(`under a ${FLOODERS}-client eth_call loop flood: /healthz ${fmt(healthz)}; authorized read ${fmt(reads)}; revocation mined after ${minedMs.toFixed(0)} ms, ${blocks} block(s) after submission, index ${BigInt(receipt.transactionIndex)}; flood answers ${JSON.stringify(answers)}`);
  } finally {
    flooding = false;
    await stop(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
