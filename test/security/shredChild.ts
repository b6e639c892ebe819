/**
 * Child process for the shredding crash test: a gateway on the given data directory and chain
 * (JSON-RPC URL) whose shredder kills its own process with SIGKILL right after deleting the first
 * blob of a job — the worst moment: bytes gone, nothing recorded.
 * Args: <rpcUrl> <dataDir> <addresses JSON> <operatorKey>.
 */
import type { Hex } from 'viem';
import type { MedChainAddresses } from '../../src/sdk/contracts.ts';
import { startGateway } from '../../src/gateway/server.ts';

const [rpcUrl, dataDir, addressesJson, operatorKey] = process.argv.slice(2);
await startGateway({
  dataDir: dataDir!, port: 0, rpcUrl, chainId: 31337, addresses: JSON.parse(addressesJson!) as MedChainAddresses, operatorKey: operatorKey as Hex,
  anchorPeriodSeconds: 3600, pollMs: 50,
  storage: { shredIntervalMs: 100, afterShredBlobDeleted: () => { process.kill(process.pid, 'SIGKILL'); } },
});
process.stdout.write('ready\n');
