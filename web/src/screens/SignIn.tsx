/**
 * Sign-in: create an account (two keys, saved as encrypted v3 keystores in this browser), import a
 * MedChain key backup, unlock with the passphrase, or use an injected Ethereum wallet (EIP-1193)
 * for signing with a browser-kept encryption key. Then Sign-In with Ethereum at the gateway.
 */
import { useState, type FormEvent } from 'react';
import { getAddress, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  decryptKeystore, encryptKeystore, encryptionPublicKey, generateEncryptionKeyPair, randomKey, toHex, KeystorePassphraseError, type KeystoreV3,
} from '../../../src/crypto/index.ts';
import { GatewayClient, GatewayError } from '../../../src/sdk/gateway.ts';
import type { UiConfig } from '../lib/config.ts';
import { forgetStoredKeys, loadStoredKeys, parseAccountKeystore, parseKeyBundle, saveStoredKeys, scryptCost, type StoredKeys } from '../lib/keystoreStorage.ts';
import { gatewayWithToken, injectedWallet, signInGateway, walletFor, type Session } from '../lib/session.tsx';
import { ErrorNote, Field, Section } from '../ui.tsx';

const MIN_PASSPHRASE = 8;

async function openSession(config: UiConfig, keys: StoredKeys, passphrase: string): Promise<Session> {
  const encryptionKey = await decryptKeystore(keys.encryption, passphrase);
  let session: Omit<Session, 'gatewayStatus'>;
  const { gateway, token } = gatewayWithToken(config.origin);
  if (keys.account) {
    const accountKey = await decryptKeystore(keys.account, passphrase);
    const account = privateKeyToAccount(toHex(accountKey.privateKey) as `0x${string}`);
    session = {
      config, address: account.address, via: 'keystore', account, wallet: walletFor(config, account), gateway, token,
      encryption: { privateKey: encryptionKey.privateKey, publicKey: encryptionPublicKey(encryptionKey.privateKey) },
    };
  } else {
    const ethereum = injectedWallet();
    if (!ethereum) throw new Error('this account signs with a browser wallet, and none is available here');
    const [address] = await ethereum.request({ method: 'eth_requestAccounts' }) as Address[];
    if (!address || address.toLowerCase() !== keys.address.toLowerCase()) throw new Error(`the wallet's account is not ${keys.address}; switch accounts in the wallet`);
    const wallet = walletFor(config, getAddress(address), ethereum);
    session = {
      config, address: getAddress(address), via: 'wallet', account: wallet.account!, wallet, gateway, token,
      encryption: { privateKey: encryptionKey.privateKey, publicKey: encryptionPublicKey(encryptionKey.privateKey) },
    };
  }
  const gatewayStatus = await signInGateway(session);
  return { ...session, gatewayStatus };
}

/**
 * A single account keystore (e.g. the admin key `medchain start` keeps in its data directory) has
 * no record encryption key: one is created here, encrypted with the same passphrase. Refused for
 * an account that already published an encryption key on chain (a registered patient or
 * provider), whose records only that key opens: its full key backup is needed instead.
 */
async function withNewEncryptionKey(config: UiConfig, account: KeystoreV3, passphrase: string): Promise<StoredKeys> {
  const address = getAddress(`0x${account.address!.replace(/^0x/, '')}`);
  (await decryptKeystore(account, passphrase)).privateKey.fill(0); // wrong passphrase: refused before anything is created
  // Before sign-in the gateway's /rpc answers nothing about accounts; its public onboarding view
  // tells the account's role, and only registered patients and providers publish encryption keys.
  const { role } = await new GatewayClient(config.origin).onboardingInfo(address).catch((error: unknown) => {
    throw new Error(`cannot read the account's role from the gateway (${error instanceof GatewayError ? `HTTP ${error.status}` : String(error)})`);
  });
  if (role === 'patient' || role === 'provider') throw new Error('this account already has a record encryption key on chain; import its MedChain key backup (medchain-keys.json), which holds both keys');
  const encryption = await encryptKeystore(generateEncryptionKeyPair().privateKey, passphrase, { kind: 'encryption', scryptN: scryptCost() });
  return { account, encryption, address };
}

function checkNewPassphrase(a: string, b: string) {
  if (a.length < MIN_PASSPHRASE) throw new Error(`choose a passphrase of at least ${MIN_PASSPHRASE} characters`);
  if (a !== b) throw new Error('the two passphrases differ');
}

export function SignIn({ config, onSession }: { config: UiConfig; onSession: (s: Session) => void }) {
  const [stored, setStored] = useState(loadStoredKeys);
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const ethereum = injectedWallet();

  const act = (what: string, fn: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(what); setError(undefined);
    try { await fn(); } catch (e) {
      setError(e instanceof KeystorePassphraseError ? new Error('wrong passphrase') : e);
    } finally { setBusy(undefined); }
  };

  const form = (event: FormEvent) => new FormData(event.target as HTMLFormElement);

  const create = (event: FormEvent) => act('create', async () => {
    const f = form(event);
    const passphrase = String(f.get('passphrase')), confirm = String(f.get('confirm'));
    checkNewPassphrase(passphrase, confirm);
    const scryptN = scryptCost();
    const accountKey = randomKey();
    const account = await encryptKeystore(accountKey, passphrase, { scryptN });
    const encryption = await encryptKeystore(generateEncryptionKeyPair().privateKey, passphrase, { kind: 'encryption', scryptN });
    accountKey.fill(0);
    const keys: StoredKeys = { account, encryption, address: getAddress(`0x${account.address!.replace(/^0x/, '')}`) };
    saveStoredKeys(keys);
    setStored(keys);
    onSession(await openSession(config, keys, passphrase));
  })(event);

  const importFile = (event: FormEvent) => act('import', async () => {
    const f = form(event);
    const file = f.get('backup');
    if (!(file instanceof File) || file.size === 0) throw new Error('choose a key backup file');
    if (file.size > 64 * 1024) throw new Error('that file is too large to be a key backup');
    let parsed: unknown;
    try { parsed = JSON.parse(await file.text()); } catch { throw new Error('the file is not JSON'); }
    const passphrase = String(f.get('passphrase'));
    const single = parseAccountKeystore(parsed);
    const keys = single ? await withNewEncryptionKey(config, single, passphrase) : parseKeyBundle(parsed);
    const session = await openSession(config, keys, passphrase);
    saveStoredKeys(keys);
    setStored(keys);
    onSession(session);
  })(event);

  const unlock = (event: FormEvent) => act('unlock', async () => {
    onSession(await openSession(config, stored!, String(form(event).get('passphrase'))));
  })(event);

  const connectWallet = (event: FormEvent) => act('wallet', async () => {
    const f = form(event);
    const passphrase = String(f.get('passphrase')), confirm = String(f.get('confirm'));
    checkNewPassphrase(passphrase, confirm);
    const [address] = await ethereum!.request({ method: 'eth_requestAccounts' }) as Address[];
    if (!address) throw new Error('the wallet shared no account');
    const encryption = await encryptKeystore(generateEncryptionKeyPair().privateKey, passphrase, { kind: 'encryption', scryptN: scryptCost() });
    const keys: StoredKeys = { encryption, address: getAddress(address) };
    saveStoredKeys(keys);
    setStored(keys);
    onSession(await openSession(config, keys, passphrase));
  })(event);

  const status = busy ? <p role="status" className="state loading">Working ({busy}) — deriving keys takes a moment…</p> : null;

  if (stored) {
    return (
      <main className="signin">
        <Section title="Unlock">
          <p>Keys of <code>{stored.address}</code> are stored in this browser, encrypted{stored.account ? '' : ' (signing with your browser wallet)'}.</p>
          <form onSubmit={unlock}>
            <Field label="Passphrase"><input name="passphrase" type="password" autoComplete="current-password" required autoFocus /></Field>
            <button type="submit" className="primary" disabled={!!busy}>Unlock</button>
          </form>
          {status}
          {error !== undefined ? <ErrorNote error={error} title="Could not unlock" /> : null}
          <button type="button" className="danger" onClick={() => {
            if (window.confirm('Remove the keys from this browser? Without a backup file you lose access to this account.')) { forgetStoredKeys(); setStored(undefined); }
          }}>Forget this browser's keys</button>
        </Section>
      </main>
    );
  }
  return (
    <main className="signin">
      {status}
      {error !== undefined ? <ErrorNote error={error} title="Sign-in failed" /> : null}
      <Section title="Create an account">
        <p>Creates your Ethereum account key and your record encryption key in this browser. They are stored only encrypted with your passphrase.</p>
        <form onSubmit={create}>
          <Field label="New passphrase" hint={`at least ${MIN_PASSPHRASE} characters`}><input name="passphrase" type="password" autoComplete="new-password" required minLength={MIN_PASSPHRASE} /></Field>
          <Field label="Repeat passphrase"><input name="confirm" type="password" autoComplete="new-password" required /></Field>
          <button type="submit" className="primary" disabled={!!busy}>Create account</button>
        </form>
      </Section>
      <Section title="Import a key backup">
        <p>Your MedChain key backup (the <code>medchain-keys.json</code> this screen downloads), or a single account keystore such
          as the admin key <code>medchain start</code> keeps in <code>keys/admin.json</code> of its data directory (a new record
          encryption key is then created here, for an account that has none on chain yet).</p>
        <form onSubmit={importFile}>
          <Field label="Backup file (medchain-keys.json)"><input name="backup" type="file" accept="application/json,.json" required /></Field>
          <Field label="Passphrase"><input name="passphrase" type="password" autoComplete="current-password" required /></Field>
          <button type="submit" disabled={!!busy}>Import and unlock</button>
        </form>
      </Section>
      <Section title="Use a browser wallet">
        {ethereum ? (
          <form onSubmit={connectWallet}>
            <p>Your wallet signs transactions; a record encryption key is created here, encrypted with this passphrase.</p>
            <Field label="Passphrase for the encryption key"><input name="passphrase" type="password" autoComplete="new-password" required minLength={MIN_PASSPHRASE} /></Field>
            <Field label="Repeat passphrase"><input name="confirm" type="password" autoComplete="new-password" required /></Field>
            <button type="submit" disabled={!!busy}>Connect wallet</button>
          </form>
        ) : <p className="state empty">No injected wallet (window.ethereum) in this browser.</p>}
      </Section>
    </main>
  );
}
