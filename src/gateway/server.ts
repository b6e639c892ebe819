/**
 * The gateway, assembled: HTTP foundation, Sign-In with Ethereum, the chain-event indexer, the
 * access log and its anchorer, the record store, and the REST, JSON-RPC and web UI routes. It talks
 * to the chain only through Ethereum JSON-RPC (an in-process node's EIP-1193 provider, or an
 * external `rpcUrl`), so the same gateway runs on the embedded node, Besu, or anything EVM.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { createPublicClient, custom, defineChain, http, type EIP1193RequestFn, type Hex, type PublicClient, type Transport } from 'viem';
import {
  AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, Permission, RecordRegistryAbi, type MedChainAddresses,
} from '../sdk/contracts.ts';
import { FsBlobStore } from '../storage/FsBlobStore.ts';
import type { BlobStore } from '../storage/BlobStore.ts';
import { createAccessLog, accessLogMigrations } from './audit/accessLog.ts';
import { authMigrations, siweAuth } from './auth/siwe.ts';
import { createChainAccess } from './chain/access.ts';
import { createRelayer } from './chain/relayer.ts';
import { migrate, openSqlite, type Database } from './db/index.ts';
import { createIndexer } from './db/indexer.ts';
import { openPostgres } from './db/postgres.ts';
import { deriveCustodianKeys, escrowCustodian, escrowMigrations, escrowStore, type CustodianView } from './escrow/custodian.ts';
import { createGatewayApp, createLogger } from './http/app.ts';
import { openApiDocument } from './http/openapi.ts';
import { applyChainEvent, type IndexedLog } from './index/handlers.ts';
import { envelopeMigrations, envelopeStore } from './index/envelopes.ts';
import { chainIndexMigrations } from './index/schema.ts';
import { directoryMigrations } from './directory/schema.ts';
import { auditRoutes } from './routes/audit.ts';
import { careRoutes } from './routes/care.ts';
import { chainInfoRoutes } from './routes/chainInfo.ts';
import { directoryRoutes } from './routes/directory.ts';
import { fhirRoutes } from './routes/fhir.ts';
import { fhirClinicalRoutes } from './routes/fhirClinical.ts';
import { clinicalStore } from './fhir/clinical.ts';
import { custodialKeystore, type CustodialKey } from './fhir/custodial.ts';
import { consentRoutes } from './routes/consent.ts';
import { recordRoutes } from './routes/records.ts';
import { rpcRoutes } from './routes/rpc.ts';
import type { DataRouteDeps, GatewayEnv } from './routes/types.ts';

export interface GatewayOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** The chain: an in-process EIP-1193 provider (the embedded node) or a JSON-RPC URL. */
  provider?: { request: EIP1193RequestFn };
  rpcUrl?: string;
  chainId: number;
  addresses: MedChainAddresses;
  /** The hospital's operating key: relays patients' signed consent, anchors the access log. */
  operatorKey: Hex;
  /** Block the contracts were deployed at (the indexer starts there). */
  deployBlock?: bigint;
  /** Domains accepted in Sign-In with Ethereum messages (default: host:port and localhost:port). */
  domains?: string[];
  corsOrigins?: string[];
  /** Built web UI to serve at / (default web/dist when it exists). */
  webDist?: string;
  /** Seconds between access-log period closes and anchors (default 60). */
  anchorPeriodSeconds?: number;
  /** Seconds between sweeps removing the envelopes of readers whose access ended (default 30). */
  sweepSeconds?: number;
  /** Indexer poll interval in ms (default 500). */
  pollMs?: number;
  db?: Database;
  /** PostgreSQL instead of the SQLite file in dataDir: postgres://user:password@host:port/database (ignored when `db` is given). */
  databaseUrl?: string;
  blobs?: BlobStore;
  rateLimitPerMinute?: number;
  /**
   * Break-glass escrow: how many custodian keys this gateway holds (derived from the operating key;
   * default 2), the threshold clients split data keys with (default 2), and the other hospitals'
   * custodians in a consortium.
   */
  escrow?: { custodians?: number; threshold?: number; peers?: CustodianView[] };
  /** Accounts whose keys the hospital holds (EHR integrations, device bridges): FHIR encrypts and decrypts for them. */
  custodialKeys?: CustodialKey[];
}

export interface Gateway {
  url: string;
  app: Hono;
  db: Database;
  client: PublicClient;
  accessLog: ReturnType<typeof createAccessLog>;
  indexer: ReturnType<typeof createIndexer>;
  /** Removes the envelopes of readers whose access ended; returns how many. */
  sweepEnvelopes(): Promise<number>;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = createLogger();
  const chain = defineChain({ id: options.chainId, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: options.rpcUrl ? [options.rpcUrl] : [] } } });
  let transport: Transport;
  if (options.provider) transport = custom(options.provider, { retryCount: 0 });
  else if (options.rpcUrl) transport = http(options.rpcUrl, { retryCount: 2, timeout: 15_000 });
  else throw new Error('the gateway needs a chain: provider or rpcUrl');
  const client = createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient;
  const request = options.provider?.request ?? ((args: { method: string; params?: unknown }) => client.request(args as never)) as EIP1193RequestFn;

  const db = options.db ?? (options.databaseUrl !== undefined
    ? await openPostgres(options.databaseUrl)
    : await openSqlite(join(options.dataDir, 'gateway.sqlite')));
  await migrate(db, [...chainIndexMigrations, ...envelopeMigrations, ...authMigrations, ...accessLogMigrations, ...escrowMigrations, ...directoryMigrations]);
  const blobs = options.blobs ?? new FsBlobStore(join(options.dataDir, 'blobs'));

  const access = createChainAccess({ client, addresses: options.addresses });
  const relayer = createRelayer({ client, transport, chain, addresses: options.addresses, privateKey: options.operatorKey });
  const accessLog = createAccessLog({ db, transaction: (fn) => db.transaction(fn), anchor: (periodId, root, count) => relayer.anchor(periodId, root, count) });
  const custodian = escrowCustodian(deriveCustodianKeys(options.operatorKey, options.escrow?.custodians ?? 2), {
    threshold: options.escrow?.threshold ?? 2, peers: options.escrow?.peers,
  });
  const deps: DataRouteDeps = {
    client, addresses: options.addresses, access, index: db, envelopes: envelopeStore(db), blobs, relayer, audit: accessLog,
    escrow: escrowStore(db), custodian,
  };

  const indexer = createIndexer({
    db, client, fromBlock: options.deployBlock ?? 0n, batchSize: 2_000n, confirmations: 0, pollMs: options.pollMs ?? 500,
    contracts: [
      { name: 'identity', address: options.addresses.identity, abi: IdentityAbi },
      { name: 'consent', address: options.addresses.consent, abi: ConsentAbi },
      { name: 'recordRegistry', address: options.addresses.recordRegistry, abi: RecordRegistryAbi },
      { name: 'incentives', address: options.addresses.incentives, abi: IncentivesAbi },
      { name: 'accessLogAnchor', address: options.addresses.accessLogAnchor, abi: AccessLogAnchorAbi },
    ],
    onEvent: (tx, event, contract) => applyChainEvent(tx, event as unknown as IndexedLog, contract),
  });

  const port = options.port ?? 8080;
  const host = options.host ?? '127.0.0.1';
  const { app } = createGatewayApp({
    logger: log, corsOrigins: options.corsOrigins, rateLimitPerMinute: options.rateLimitPerMinute,
    probes: {
      chain: () => client.getBlockNumber({ cacheTime: 0 }),
      store: async () => { await blobs.has('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'); },
    },
  });
  // Filled in once the port is bound (port 0 picks a free one).
  const domains: string[] = [...(options.domains ?? [])];
  const auth = siweAuth({ db, client, chainId: options.chainId, resolveRole: access.resolveRole, domains });

  const api = new Hono<GatewayEnv>();
  api.use('*', auth.session);
  api.route('/', chainInfoRoutes({ ...deps, chainId: options.chainId }));
  api.route('/', directoryRoutes({ ...deps, chainId: options.chainId }));
  const signedIn = new Hono<GatewayEnv>();
  signedIn.use('*', auth.requireSession);
  signedIn.route('/', recordRoutes(deps));
  signedIn.route('/', consentRoutes(deps));
  signedIn.route('/', careRoutes(deps));
  signedIn.route('/', auditRoutes({ ...deps, accessLog }));
  api.route('/', signedIn);
  const fhir = new Hono<GatewayEnv>();
  fhir.use('*', auth.session);
  fhir.route('/', fhirRoutes({ ...deps, accessLog }));
  const custodial = custodialKeystore(options.custodialKeys ?? [], { client, transport, chain });
  fhir.route('/', fhirClinicalRoutes({ ...deps, clinical: clinicalStore({ ...deps, custodial }) }));
  app.route('/fhir', fhir);
  app.route('/auth', auth.routes);
  app.route('/api', api);
  app.route('/rpc', rpcRoutes(request));
  app.get('/openapi.json', (c) => c.json(openApiDocument(new URL(c.req.url).origin)));

  const webDist = options.webDist ?? resolve(import.meta.dirname, '../../web/dist');
  if (existsSync(join(webDist, 'index.html'))) {
    const index = readFileSync(join(webDist, 'index.html'), 'utf8');
    const isApi = (path: string) => /^\/(api|auth|rpc|fhir)(\/|$)/.test(path);
    app.use('/*', async (c, next) => (isApi(c.req.path) ? next() : serveStatic({ root: webDist })(c, next)));
    // Client-side routes get the app; unknown API paths fall through to the JSON 404.
    app.get('*', async (c, next) => (isApi(c.req.path) ? next() : c.html(index)));
  }

  await indexer.syncOnce();
  indexer.start();
  // A reader's key envelopes go when their access ends (grant expired or revoked, provider
  // suspended): the gateway never again hands them out, and a new grant needs a new share.
  const envelopes = deps.envelopes;
  async function sweepEnvelopes(): Promise<number> {
    let removed = 0;
    for (const r of await envelopes.readers()) {
      const decision = await access.authorizeRecord({ patient: r.patient, accessor: r.recipient, category: r.category, recordId: r.recordId, permission: Permission.Read });
      if (decision.allowed) continue;
      // Authors keep the envelope of what they wrote only while they may still read it, like anyone else.
      removed += await envelopes.removeReader(r.patient, r.recipient, [r.recordId]);
    }
    return removed;
  }
  const sweepTimer = setInterval(() => {
    void sweepEnvelopes().catch((error: Error) => log.warn({ err: { message: error.message.split('\n')[0] } }, 'envelope sweep failed'));
  }, (options.sweepSeconds ?? 30) * 1000);
  sweepTimer.unref();

  const anchorEvery = (options.anchorPeriodSeconds ?? 60) * 1000;
  const anchorTimer = setInterval(() => {
    void (async () => {
      await accessLog.closePeriod();
      await accessLog.anchorPending();
    })().catch((error: Error) => log.warn({ err: { message: error.message.split('\n')[0] } }, 'anchoring failed; retrying next period'));
  }, anchorEvery);
  anchorTimer.unref();

  const server = serve({ fetch: app.fetch, hostname: host, port });
  await new Promise<void>((ok) => server.once('listening', () => ok()));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host}:${boundPort}`;
  if (!options.domains) domains.push(`${host}:${boundPort}`, `localhost:${boundPort}`, `127.0.0.1:${boundPort}`);
  log.info({ url }, 'gateway listening');

  return {
    url, app, db, client, accessLog, indexer, sweepEnvelopes,
    async close() {
      clearInterval(anchorTimer);
      clearInterval(sweepTimer);
      await indexer.stop();
      // Long-lived responses (event streams) would hold close() open: end every connection.
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await blobs.close();
      if (!options.db) await db.close();
    },
  };
}
