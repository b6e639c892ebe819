/**
 * Explorer: latest blocks and transactions, MedChain events decoded with the contract ABIs, look-up
 * of a transaction or record id, and an integrity check any auditor can run (the chain compares a
 * salted hash; nobody sees record contents). Reads go straight to the chain over `/rpc`.
 */
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { parseEventLogs, type Abi, type Address, type Hex } from 'viem';
import {
  AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, RecordRegistryAbi, StudiesAbi,
} from '../../../src/sdk/contracts.ts';
import { rpcFetch, type UiConfig } from '../lib/config.ts';
import type { Session } from '../lib/session.tsx';
import { Addr, Empty, ErrorNote, Field, Loading, Section, when } from '../ui.tsx';
import { ProviderName } from '../names.tsx';
import { categoryName } from '../records.tsx';

const ALL_ABIS = [...IdentityAbi, ...ConsentAbi, ...RecordRegistryAbi, ...IncentivesAbi, ...MedTokenAbi, ...AccessLogAnchorAbi, ...StudiesAbi] as Abi;
const EVENT_WINDOW = 500n;
const plain = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

function contractNames(config: UiConfig): Map<string, string> {
  const a = config.addresses;
  return new Map([
    [a.identity, 'Identity'], [a.consent, 'Consent'], [a.recordRegistry, 'RecordRegistry'],
    [a.incentives, 'Incentives'], [a.token, 'MedToken'], [a.accessLogAnchor, 'AccessLogAnchor'], [a.studies, 'Studies'],
  ].map(([k, v]) => [k!.toLowerCase(), v!]));
}

export interface DecodedEvent { blockNumber: bigint; txHash: Hex; logIndex: number; contract: string; name: string; args: Record<string, unknown> }

export function decodeLogs(config: UiConfig, logs: Parameters<typeof parseEventLogs>[0]['logs']): DecodedEvent[] {
  const names = contractNames(config);
  return parseEventLogs({ abi: ALL_ABIS, logs }).map((e) => ({
    blockNumber: e.blockNumber!, txHash: e.transactionHash!, logIndex: e.logIndex!, contract: names.get(e.address.toLowerCase()) ?? e.address,
    name: e.eventName ?? '?', args: (e.args ?? {}) as Record<string, unknown>,
  }));
}

function Blocks({ config }: { config: UiConfig }) {
  const q = useQuery({
    queryKey: ['explorer', 'blocks'],
    queryFn: async () => {
      const head = await config.client.getBlockNumber({ cacheTime: 0 });
      const numbers = Array.from({ length: Number(head < 9n ? head + 1n : 10n) }, (_, i) => head - BigInt(i));
      return Promise.all(numbers.map((n) => config.client.getBlock({ blockNumber: n, includeTransactions: true })));
    },
    refetchInterval: 3000,
  });
  // Clique leaves `miner` zero: the gateway recovers the sealer from the seal in extraData.
  const producers = useQuery({
    queryKey: ['explorer', 'producers', q.data?.[0]?.number?.toString()], enabled: !!q.data,
    queryFn: async () => {
      // The explorer's API answers by session, like /rpc: rpcFetch sends the token once signed in.
      const response = await rpcFetch(`${config.origin}/api/explorer/blocks?count=10`);
      if (!response.ok) return new Map<string, string>();
      const body = await response.json() as { blocks: Array<{ number: number; producer: string | null }> };
      return new Map(body.blocks.filter((b) => b.producer).map((b) => [String(b.number), b.producer!]));
    },
  });
  if (q.isPending) return <Loading what="blocks" />;
  if (q.error) return <ErrorNote error={q.error} title="Cannot read blocks" />;
  const txs = q.data.flatMap((b) => b.transactions.map((t) => ({ ...t, time: Number(b.timestamp) })));
  return (
    <>
      <Section title="Latest blocks">
        <div className="scroll"><table>
          <thead><tr><th scope="col">Block</th><th scope="col">Time</th><th scope="col">Txs</th><th scope="col">Gas used</th><th scope="col">Producer</th></tr></thead>
          <tbody>{q.data.map((b) => (
            <tr key={String(b.number)} data-testid="block-row"><td>{String(b.number)}</td><td>{when(Number(b.timestamp))}</td><td>{b.transactions.length}</td><td>{String(b.gasUsed)}</td><td data-testid="producer">{(() => {
              const producer = producers.data?.get(String(b.number)) ?? (BigInt(b.miner) !== 0n ? b.miner : undefined);
              return producer ? <ProviderName origin={config.origin} address={producer} /> : <span className="muted">unknown</span>;
            })()}</td></tr>
          ))}</tbody>
        </table></div>
      </Section>
      <Section title="Latest transactions">
        {txs.length === 0 ? <Empty>No transactions in the latest blocks.</Empty> : (
          <div className="scroll"><table>
            <thead><tr><th scope="col">Hash</th><th scope="col">Block</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
            <tbody>{txs.map((t) => (
              <tr key={t.hash} data-testid="tx-row"><td><Addr value={t.hash} /></td><td>{String(t.blockNumber)}</td><td><ProviderName origin={config.origin} address={t.from} /></td><td>{t.to ? contractNames(config).get(t.to.toLowerCase()) ?? <Addr value={t.to} /> : 'contract creation'}</td></tr>
            ))}</tbody>
          </table></div>
        )}
      </Section>
    </>
  );
}

function Events({ config }: { config: UiConfig }) {
  const q = useQuery({
    queryKey: ['explorer', 'events'],
    queryFn: async () => {
      const head = await config.client.getBlockNumber({ cacheTime: 0 });
      const logs = await config.client.getLogs({ address: Object.values(config.addresses) as Address[], fromBlock: head > EVENT_WINDOW ? head - EVENT_WINDOW : 0n, toBlock: head });
      return decodeLogs(config, logs).reverse().slice(0, 40);
    },
    refetchInterval: 3000,
  });
  return (
    <Section title="Latest MedChain events">
      {q.isPending ? <Loading what="events" /> : q.error ? <ErrorNote error={q.error} title="Cannot read events" /> : q.data.length === 0 ? <Empty>No MedChain events in the last {String(EVENT_WINDOW)} blocks.</Empty> : (
        <ul className="events">{q.data.map((e) => (
          <li key={`${e.txHash}-${e.logIndex}`} data-testid="event">
            <strong>{e.contract}.{e.name}</strong> <span className="muted">block {String(e.blockNumber)}</span>
            {['provider', 'grantee', 'author'].map((k) => typeof e.args[k] === 'string' ? <span key={k}> · {k} <ProviderName origin={config.origin} address={e.args[k] as string} /></span> : null)}
            <code className="args">{plain(e.args)}</code>
          </li>
        ))}</ul>
      )}
    </Section>
  );
}

type LookupResult =
  | { kind: 'tx'; hash: Hex; from: Address; to: Address | null; block: bigint; status: string; gasUsed: bigint; events: DecodedEvent[] }
  | { kind: 'record'; id: Hex; patient: Address; latestVersion: number; createdAt: number; erasedAt: number; category: Hex; versions: Array<{ version: number; author: Address; timestamp: number; integrityHash: Hex }> };

async function lookup(config: UiConfig, input: string): Promise<LookupResult> {
  const value = input.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error('enter a 0x-prefixed 32-byte transaction hash or record id');
  const hash = value as Hex;
  const tx = await config.client.getTransaction({ hash }).catch(() => undefined);
  if (tx) {
    const receipt = await config.client.getTransactionReceipt({ hash });
    return { kind: 'tx', hash, from: tx.from, to: tx.to, block: receipt.blockNumber, status: receipt.status, gasUsed: receipt.gasUsed, events: decodeLogs(config, receipt.logs) };
  }
  const registry = { address: config.addresses.recordRegistry, abi: RecordRegistryAbi } as const;
  const record = await config.client.readContract({ ...registry, functionName: 'getRecord', args: [hash] });
  if (record.latestVersion === 0) throw new Error('no transaction and no record has this id');
  const versions = await Promise.all(Array.from({ length: record.latestVersion }, (_, i) => config.client.readContract({ ...registry, functionName: 'getVersion', args: [hash, i + 1] })));
  return {
    kind: 'record', id: hash, patient: record.patient, latestVersion: record.latestVersion, createdAt: Number(record.createdAt), erasedAt: Number(record.erasedAt), category: record.category,
    versions: versions.map((v) => ({ version: v.version, author: v.author, timestamp: Number(v.timestamp), integrityHash: v.integrityHash })),
  };
}

function Lookup({ config }: { config: UiConfig }) {
  const [result, setResult] = useState<{ data?: LookupResult; error?: unknown; busy?: boolean }>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = String(new FormData(event.target as HTMLFormElement).get('query'));
    // A new look-up replaces the old result at once, so a malformed one never leaves it on screen.
    setResult({ busy: true });
    try { setResult({ data: await lookup(config, input) }); } catch (error) { setResult({ error }); }
  };
  const r = result.data;
  return (
    <Section title="Look up a transaction or record">
      {/* noValidate: our own check answers a malformed id with an error (and clears the old result). */}
      <form onSubmit={submit} className="inline" noValidate>
        <Field label="Transaction hash or record id"><input name="query" required spellCheck={false} /></Field>
        <button type="submit" disabled={result.busy}>Look up</button>
      </form>
      {result.busy ? <Loading what="chain data" /> : null}
      {result.error !== undefined ? <ErrorNote error={result.error} /> : null}
      {r?.kind === 'tx' ? (
        <div data-testid="lookup-tx">
          <dl className="facts">
            <dt>Transaction</dt><dd><code>{r.hash}</code></dd><dt>Status</dt><dd>{r.status}</dd><dt>Block</dt><dd>{String(r.block)}</dd>
            <dt>From</dt><dd><code>{r.from}</code></dd><dt>To</dt><dd><code>{r.to ?? 'contract creation'}</code></dd><dt>Gas used</dt><dd>{String(r.gasUsed)}</dd>
          </dl>
          <ul className="events">{r.events.map((e) => <li key={e.logIndex}><strong>{e.contract}.{e.name}</strong> <code className="args">{plain(e.args)}</code></li>)}</ul>
        </div>
      ) : null}
      {r?.kind === 'record' ? (
        <div data-testid="lookup-record">
          <dl className="facts">
            <dt>Record</dt><dd><code>{r.id}</code></dd><dt>Patient</dt><dd><code>{r.patient}</code></dd><dt>Kind</dt><dd>{categoryName(r.category)}</dd><dt>Created</dt><dd>{when(r.createdAt)}</dd>
            <dt>Versions</dt><dd>{r.latestVersion}</dd><dt>Erased</dt><dd>{r.erasedAt ? `yes, ${when(r.erasedAt)} (tombstone)` : 'no'}</dd>
          </dl>
          <ul>{r.versions.map((v) => <li key={v.version}>v{v.version} by <ProviderName origin={config.origin} address={v.author} /> at {when(v.timestamp)}: <code>{v.integrityHash}</code></li>)}</ul>
        </div>
      ) : null}
    </Section>
  );
}

function IntegrityCheck({ config }: { config: UiConfig }) {
  const [state, setState] = useState<{ valid?: boolean; error?: unknown }>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    setState({});
    try {
      const id = String(f.get('recordId')).trim(), hash = String(f.get('hash')).trim(), version = Number(f.get('version'));
      if (!/^0x[0-9a-fA-F]{64}$/.test(id) || !/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new Error('record id and hash are 0x-prefixed 32-byte hex values');
      if (!Number.isInteger(version) || version < 1 || version > 2 ** 32 - 1) throw new Error('version is a positive integer');
      const valid = await config.client.readContract({ address: config.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'verifyIntegrity', args: [id as Hex, version, hash as Hex] });
      setState({ valid });
    } catch (error) { setState({ error }); }
  };
  return (
    <Section title="Integrity check">
      <p>Checks a salted hash of a record version (sha256(salt ‖ plaintext), from the record's holder) against the one registered on chain.</p>
      <form onSubmit={submit}>
        <Field label="Record id"><input name="recordId" required spellCheck={false} /></Field>
        <Field label="Version"><input name="version" type="number" min={1} defaultValue={1} required /></Field>
        <Field label="Integrity hash"><input name="hash" required spellCheck={false} /></Field>
        <button type="submit">Verify on chain</button>
      </form>
      <p aria-live="polite">{state.valid === true ? <span className="badge ok">Matches the chain</span> : state.valid === false ? <span className="badge bad">Does not match the chain</span> : null}</p>
      {state.error !== undefined ? <ErrorNote error={state.error} /> : null}
    </Section>
  );
}

export function Explorer({ config }: { config: UiConfig; session?: Session }) {
  return (
    <main className="screen explorer">
      <p className="muted">Chain {config.chainId} · read through <code>{config.origin}/rpc</code></p>
      <Lookup config={config} />
      <Blocks config={config} />
      <Events config={config} />
      <IntegrityCheck config={config} />
    </main>
  );
}
