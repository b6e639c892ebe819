/**
 * The `medchain break-glass` command end to end (issue 14 item 6), as a user runs it against a real
 * gateway over HTTP: it puts a salted commitment on chain (not keccak256(reason)), deposits the
 * sealed reason, and the patient's `break-glass reason` reads it back checked against the chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hexToBytes, keccak256, toHex } from 'viem';
import { ConsentAbi } from '../../src/sdk/contracts.ts';
import { newBundle, writeKeyBundle } from '../../src/cli/keyFile.ts';
import { cli, PASSPHRASE } from '../cli/cliHarness.ts';
import { gatewayHarness } from '../gateway/harness.ts';

test('CLI: break-glass commits a salted reason and stores it sealed; the patient reads it, checked against the chain', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const keyFile = async (actor: 'doctor' | 'patient') => {
      const file = join(h.dataDir, `${actor}.key.json`);
      writeKeyBundle(file, await newBundle(hexToBytes(f.keys[actor]), PASSPHRASE, 1024, h.encryption[actor].privateKey));
      return file;
    };
    const [doctor, patient] = [await keyFile('doctor'), await keyFile('patient')];
    const reason = 'suspected opioid overdose';
    const opened = await cli(['break-glass', f.addr.patient, '--reason', reason, '--code', 'unconscious', '--key', doctor, '--gateway', h.gateway.url, '--json']);
    assert.equal(opened.code, 0, opened.stderr);
    const out = JSON.parse(opened.stdout) as { accessId: number; reasonHash: string; reasonReaders: string[] };
    assert.deepEqual(out.reasonReaders, [f.addr.patient, f.addr.doctor]);

    const [event] = await f.publicClient.getContractEvents({ address: f.addresses.consent, abi: ConsentAbi, eventName: 'EmergencyAccessOpened', fromBlock: 0n });
    assert.equal(event!.args.reasonHash, out.reasonHash);
    assert.notEqual(event!.args.reasonHash, keccak256(toHex(reason)), 'not the unsalted hash');

    const read = await cli(['break-glass', 'reason', String(out.accessId), '--key', patient, '--gateway', h.gateway.url, '--json']);
    assert.equal(read.code, 0, read.stderr);
    const shown = JSON.parse(read.stdout) as { reason: string; matchesChain: boolean; provider: string };
    assert.deepEqual([shown.reason, shown.matchesChain, shown.provider], [reason, true, f.addr.doctor]);
  } finally {
    await h.close();
  }
});
