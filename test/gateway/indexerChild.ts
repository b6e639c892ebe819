/**
 * Child process for the indexer crash test: indexes MedChain events from a JSON-RPC URL into a
 * SQLite file until killed. Args: <rpcUrl> <dbPath> <addresses JSON>.
 */
import { createPublicClient, http, type PublicClient } from 'viem';
import { AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, RecordRegistryAbi, type MedChainAddresses } from '../../src/sdk/contracts.ts';
import { migrate, openSqlite } from '../../src/gateway/db/index.ts';
import { createIndexer } from '../../src/gateway/db/indexer.ts';
import { applyChainEvent, type IndexedLog } from '../../src/gateway/index/handlers.ts';
import { chainIndexMigrations } from '../../src/gateway/index/schema.ts';

const [rpcUrl, dbPath, addressesJson] = process.argv.slice(2);
const addresses = JSON.parse(addressesJson!) as MedChainAddresses;
const db = await openSqlite(dbPath!);
await migrate(db, chainIndexMigrations);
const client = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
const indexer = createIndexer({
  db, client, fromBlock: 0n, batchSize: 3n, pollMs: 20,
  contracts: [
    { name: 'identity', address: addresses.identity, abi: IdentityAbi },
    { name: 'consent', address: addresses.consent, abi: ConsentAbi },
    { name: 'recordRegistry', address: addresses.recordRegistry, abi: RecordRegistryAbi },
    { name: 'incentives', address: addresses.incentives, abi: IncentivesAbi },
    { name: 'accessLogAnchor', address: addresses.accessLogAnchor, abi: AccessLogAnchorAbi },
  ],
  onEvent: (tx, log, contract) => applyChainEvent(tx, log as unknown as IndexedLog, contract),
});
indexer.start();
process.stdout.write('ready\n');
