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
import { createPublicClient, custom, defineChain, http, type EIP1193RequestFn, type PublicClient, type Transport } from 'viem';
import {
  AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, Permission, RecordRegistryAbi, StudiesAbi,
} from '../sdk/contracts.ts';
import { FsBlobStore } from '../storage/FsBlobStore.ts';
import { DEFAULT_BLOB_CACHE_BYTES, withBlobCache } from '../storage/CachingBlobStore.ts';
import { createAccessLog, accessLogMigrations } from './audit/accessLog.ts';
import { authMigrations, siweAuth } from './auth/siwe.ts';
import { createChainAccess } from './chain/access.ts';
import { systemClock } from './clock.ts';
import { createRelayer } from './chain/relayer.ts';
import { createViewAccess } from './consent/access.ts';
import { createConsentView } from './consent/view.ts';
import { migrate, openSqlite } from './db/index.ts';
import { createIndexer } from './db/indexer.ts';
import { openPostgres } from './db/postgres.ts';
import { escrowCustodian, escrowMigrations, escrowStore } from './escrow/custodian.ts';
import { createGatewayApp, createLogger } from './http/app.ts';
import { logSafe } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import { applyChainEvent, writeBlockTimes, type IndexedLog } from './index/handlers.ts';
import { envelopeMigrations, envelopeStore } from './index/envelopes.ts';
import { chainIndexMigrations } from './index/schema.ts';
import { blobUploads } from './index/blobUploads.ts';
import { createBlobCollector } from './index/blobCollector.ts';
import { createShredder } from './index/shredder.ts';
import { auditRoutes } from './routes/audit.ts';
import { breakGlassReasonMigrations, breakGlassReasonRoutes } from './routes/breakGlassReason.ts';
import { directoryMigrations } from './directory/schema.ts';
import { careRoutes } from './routes/care.ts';
import { chainInfoRoutes } from './routes/chainInfo.ts';
import { directoryRoutes } from './routes/directory.ts';
import { fhirRoutes } from './routes/fhir.ts';
import { fhirClinicalRoutes } from './routes/fhirClinical/index.ts';
import { clinicalStore } from './fhir/clinical.ts';
import { contentNegotiation } from './fhir/http.ts';
import { custodialKeystore } from './fhir/custodial.ts';
import { categoryKeys } from './index/categoryKeys.ts';
import { categoryRoutes } from './routes/categories.ts';
import { consentRoutes } from './routes/consent.ts';
import { recordRoutes } from './routes/records.ts';
import { rpcRoutes } from './routes/rpc.ts';
import { onboardingRoutes } from './routes/onboarding.ts';
import { nodeAllowlist } from './chain/allowlist.ts';
import { peerAuth, peerAuthMigrations } from './peers/peerAuth.ts';
import { peerExchange } from './peers/peerExchange.ts';
import { peerReplicas } from './peers/replicas.ts';
import { peerRoutes } from './peers/peerRoutes.ts';
import { transactionSender } from './chain/relayer.ts';
import { createComputeService } from './research/computeService.ts';
import { createStudyConsentRelay } from './research/studyConsentRelay.ts';
import { applyStudyEvent, studyMigrations, studyStore } from './research/studyStore.ts';
import { studyRoutes } from './routes/studies.ts';
import type { DataRouteDeps, GatewayEnv } from './routes/types.ts';

export { DEFAULT_UPLOAD_QUOTA, GatewayListenError, type Gateway, type GatewayOptions, type StorageOptions } from './gatewayOptions.ts';
import { DEFAULT_UPLOAD_QUOTA, GatewayListenError, type Gateway, type GatewayOptions } from './gatewayOptions.ts';

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = options.logger ?? createLogger();
  // The one clock every part below judges time by (consent, sign-in, access log, sweeps; clock.ts).
  const clock = options.clock ?? systemClock;
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
  await migrate(db, [...chainIndexMigrations, ...envelopeMigrations, ...authMigrations, ...accessLogMigrations, ...escrowMigrations, ...breakGlassReasonMigrations, ...directoryMigrations, ...peerAuthMigrations, ...studyMigrations], clock);
  const blobs = withBlobCache(options.blobs ?? new FsBlobStore(join(options.dataDir, 'blobs')), options.storage?.blobCacheBytes ?? DEFAULT_BLOB_CACHE_BYTES);

  // Authorization from the consent view the indexer keeps (docs/gateway.md#authorization); chain reads as its fallback.
  const consentView = createConsentView({ db });
  // The embedded node announces each sealed block in process: the gateway then knows the head with no call per request.
  const nodeChain = (options.provider as { chain?: { on(event: 'block', fn: (b: { block: { header: { number: bigint } } }) => void): void; off(event: 'block', fn: (b: { block: { header: { number: bigint } } }) => void): void } } | undefined)?.chain;
  const access = createViewAccess({
    view: consentView, client, announced: nodeChain !== undefined, kick: () => indexer.kick(), clock,
    chain: createChainAccess({ client, addresses: options.addresses, isWithdrawn: consentView.isWithdrawn, clock }),
  });
  const relayer = createRelayer({ client, transport, chain, addresses: options.addresses, privateKey: options.operatorKey, onMined: access.see, blocks: nodeChain });
  const accessLog = createAccessLog({ db, clock, transaction: (fn) => db.transaction(fn), anchor: (periodId, root, count) => relayer.anchor(periodId, root, count) });
  const custodian = escrowCustodian(options.escrow?.custodianKeys ?? [], {
    threshold: options.escrow?.threshold ?? 2, peers: options.escrow?.peers, legacyKeys: options.escrow?.legacyKeys,
    chain: { client, addresses: options.addresses, audit: accessLog },
  });
  const storage = options.storage ?? {};
  const gcGraceSeconds = storage.gcGraceSeconds ?? 86_400;
  const shredder = createShredder({ db, blobs, clock, afterBlobDeleted: storage.afterShredBlobDeleted });
  const collector = createBlobCollector({
    db, blobs, clock, graceSeconds: gcGraceSeconds,
    // When the chain cannot answer (or runs a registry without the view), keep the blob.
    isRegistered: (contentId) => client.readContract({ address: options.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'isContentIdUsed', args: [contentId] }).catch(() => true),
  });
  const indexed = async () => { await indexer.waitFor(await client.getBlockNumber({ cacheTime: 0 })); };
  // Ciphertexts stored before uploads were recorded (an upgraded data directory) keep being served.
  await blobUploads(db, clock).backfill(blobs);
  const envelopeStoreOfDb = envelopeStore(db, clock);
  const deps: DataRouteDeps = {
    client, addresses: options.addresses, access, index: db, envelopes: envelopeStoreOfDb, blobs, relayer, audit: accessLog,
    escrow: escrowStore(db), custodian, transaction: (fn) => db.transaction(fn), uploads: blobUploads(db, clock), clock,
    uploadQuota: { ...DEFAULT_UPLOAD_QUOTA, ...storage.quota, graceSeconds: gcGraceSeconds }, shredder, indexed,
    categories: categoryKeys({ client, addresses: options.addresses, envelopes: envelopeStoreOfDb, operatorKey: options.operatorKey }),
  };
  const replicas = peerReplicas(db, clock);
  deps.replicas = replicas;
  if (options.peers) deps.peers = peerExchange({ ...deps, options: options.peers, chainId: options.chainId, operatorKey: options.operatorKey, replicas, log });

  const indexer = createIndexer({
    db, client, fromBlock: options.deployBlock ?? 0n, batchSize: 2_000n, confirmations: 0, pollMs: options.pollMs ?? 500,
    contracts: [
      { name: 'identity', address: options.addresses.identity, abi: IdentityAbi },
      { name: 'consent', address: options.addresses.consent, abi: ConsentAbi },
      { name: 'recordRegistry', address: options.addresses.recordRegistry, abi: RecordRegistryAbi },
      { name: 'incentives', address: options.addresses.incentives, abi: IncentivesAbi },
      { name: 'accessLogAnchor', address: options.addresses.accessLogAnchor, abi: AccessLogAnchorAbi },
      // Deployments older than Studies have no address for it: the gateway then runs without research.
      ...(options.addresses.studies ? [{ name: 'studies', address: options.addresses.studies, abi: StudiesAbi }] : []),
    ],
    onBlockTimes: writeBlockTimes,
    onEvent: async (tx, event, contract) => {
      await applyChainEvent(tx, event as unknown as IndexedLog, contract, { blockTimes: false });
      if (contract === 'studies') await applyStudyEvent(tx, event, clock);
    },
    onCommitted: (batch) => consentView.commit(batch),
    onHead: access.see,
  });
  const studies = studyStore(db, clock);
  const operatorSender = transactionSender({ client, transport, chain, privateKey: options.operatorKey });
  const compute = createComputeService({
    client, addresses: options.addresses, blobs, index: db, store: studies, audit: accessLog, sender: operatorSender, keys: options.research?.computeKeys ?? [], clock,
  });
  const onNodeBlock = (sealed: { block: { header: { number: bigint } } }) => { access.see(sealed.block.header.number); indexer.kick(); };

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
  const auth = siweAuth({ db, client, clock, chainId: options.chainId, resolveRole: access.resolveRole, domains });

  // Known once the port is bound; read per request.
  let publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const baseUrl = () => publicUrl ?? '';

  const api = new Hono<GatewayEnv>();
  api.use('*', auth.session);
  api.route('/', chainInfoRoutes({ ...deps, chainId: options.chainId }));
  api.route('/', onboardingRoutes({ ...deps, chainId: options.chainId, allowlist: nodeAllowlist(request) }));
  api.route('/', directoryRoutes({ ...deps, chainId: options.chainId }));
  const signedIn = new Hono<GatewayEnv>();
  signedIn.use('*', auth.requireSession);
  signedIn.route('/', recordRoutes(deps));
  signedIn.route('/', consentRoutes(deps));
  signedIn.route('/', careRoutes(deps));
  signedIn.route('/', auditRoutes({ ...deps, accessLog }));
  signedIn.route('/', breakGlassReasonRoutes({ ...deps, db }));
  signedIn.route('/', categoryRoutes(deps));
  if (options.addresses.studies) {
    signedIn.route('/', studyRoutes({ ...deps, compute, store: studies, relayConsent: createStudyConsentRelay(client, options.addresses, operatorSender) }));
  }
  api.route('/', signedIn);
  const fhir = new Hono<GatewayEnv>();
  fhir.use('*', contentNegotiation);
  fhir.use('*', auth.session);
  fhir.route('/', fhirRoutes({ ...deps, accessLog, baseUrl }));
  const custodial = custodialKeystore(options.custodialKeys ?? [], { client, transport, chain });
  fhir.route('/', fhirClinicalRoutes({ ...deps, baseUrl, clinical: clinicalStore({ ...deps, custodial }) }));
  app.route('/fhir', fhir);
  app.route('/auth', auth.routes);
  app.route('/api', api);
  // The JSON-RPC passthrough sees the session too: what a call may see depends on who asks.
  const rpc = new Hono<GatewayEnv>();
  rpc.use('*', auth.session);
  // Relayed calls from any client go in the embedded node's public lane (behind the gateway's own).
  rpc.route('/', rpcRoutes((options.provider as { publicRequest?: EIP1193RequestFn } | undefined)?.publicRequest ?? request));
  app.route('/rpc', rpc);
  if (options.peers) {
    const auth = peerAuth({
      self: options.peers.self, chainId: options.chainId, hospitals: options.peers.hospitals, db, clock,
      isRegistered: (operator) => client.readContract({ address: options.addresses.accessLogAnchor, abi: AccessLogAnchorAbi, functionName: 'isAnchorer', args: [operator] }),
    });
    app.route('/peer/v1', peerRoutes({ ...deps, replicas }, auth));
  }
  app.get('/openapi.json', (c) => c.json(openApiDocument(baseUrl())));

  const webDist = options.webDist ?? resolve(import.meta.dirname, '../../web/dist');
  if (existsSync(join(webDist, 'index.html'))) {
    const index = readFileSync(join(webDist, 'index.html'), 'utf8');
    const isApi = (path: string) => /^\/(api|auth|rpc|fhir|peer)(\/|$)/.test(path);
    app.use('/*', async (c, next) => (isApi(c.req.path) ? next() : serveStatic({ root: webDist })(c, next)));
    // Client-side routes get the app; unknown API paths fall through to the JSON 404.
    app.get('*', async (c, next) => (isApi(c.req.path) ? next() : c.html(index)));
  }

  // The view from SQL up to the indexer's cursor (no chain re-scan), then the blocks since.
  const next = await indexer.position();
  const last = next > (options.deployBlock ?? 0n) ? await client.getBlock({ blockNumber: next - 1n }) : undefined;
  await consentView.load(last ? { number: last.number, hash: last.hash, timestamp: last.timestamp } : undefined);
  // The first sync reads the head (and tells `access` through onHead) before it indexes up to it.
  await indexer.syncOnce();
  indexer.start();
  nodeChain?.on('block', onNodeBlock);
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
  const sweepEndedStudies = () => (options.addresses.studies ? compute.sweepEnded() : Promise.resolve(0));
  const sweepTimer = setInterval(() => {
    void sweepEnvelopes().catch((error: Error) => log.warn({ err: { message: logSafe(error.message) } }, 'envelope sweep failed'));
    void sweepEndedStudies().catch((error: Error) => log.warn({ err: { message: logSafe(error.message) } }, 'study key sweep failed'));
  }, (options.sweepSeconds ?? 30) * 1000);
  sweepTimer.unref();

  // Crypto-shredding follows RecordErased whether or not anyone calls the gateway; jobs left by a crash run again here.
  const runShredder = () => shredder.runPending().catch((error: Error) => { log.warn({ err: { message: error.message.split('\n')[0] } }, 'shredding failed; retrying'); return 0; });
  void runShredder();
  const shredTimer = setInterval(() => { void runShredder(); }, storage.shredIntervalMs ?? 1000);
  shredTimer.unref();
  const gcTimer = setInterval(() => {
    void collector.collect().catch((error: Error) => log.warn({ err: { message: error.message.split('\n')[0] } }, 'blob garbage collection failed'));
  }, (storage.gcIntervalSeconds ?? 600) * 1000);
  gcTimer.unref();

  const anchorEvery = (options.anchorPeriodSeconds ?? 60) * 1000;
  const anchorTimer = setInterval(() => {
    void (async () => {
      await accessLog.closePeriod();
      await accessLog.anchorPending();
    })().catch((error: Error) => log.warn({ err: { message: logSafe(error.message) } }, 'anchoring failed; retrying next period'));
  }, anchorEvery);
  anchorTimer.unref();

  const server = serve({ fetch: app.fetch, hostname: host, port });
  try {
    await new Promise<void>((ok, fail) => { server.once('listening', () => ok()); server.once('error', fail); });
  } catch (error) {
    // Not listening (port in use, no permission): undo what started, so the caller can exit cleanly.
    nodeChain?.off('block', onNodeBlock);
    clearInterval(anchorTimer);
    clearInterval(sweepTimer);
    await indexer.stop();
    await blobs.close();
    if (!options.db) await db.close();
    throw new GatewayListenError(host, port, error as NodeJS.ErrnoException);
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host}:${boundPort}`;
  publicUrl ??= url;
  if (!options.domains) domains.push(`${host}:${boundPort}`, `localhost:${boundPort}`, `127.0.0.1:${boundPort}`);
  log.info({ url }, 'gateway listening');

  return {
    url, app, db, client, accessLog, indexer, access, blobs, peers: deps.peers, sweepEnvelopes, sweepEndedStudies, shredPending: () => shredder.runPending(), collectGarbage: () => collector.collect(),
    async close() {
      nodeChain?.off('block', onNodeBlock);
      clearInterval(anchorTimer);
      clearInterval(sweepTimer);
      clearInterval(shredTimer);
      clearInterval(gcTimer);
      await indexer.stop();
      await shredder.idle();
      // Long-lived responses (event streams) would hold close() open: end every connection.
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await blobs.close();
      if (!options.db) await db.close();
    },
  };
}
