/**
 * The shell: loads the chain config, holds the unlocked session, shows the account (role read
 * from chain, registration) and navigates between the Patient, Provider, Admin and Explorer screens
 * (hash routes, so the gateway needs no server-side routing).
 */
import { useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { formatEther, keccak256, toHex as viemHex } from 'viem';
import { IdentityAbi, ProviderKind, Role } from '../../src/sdk/contracts.ts';
import { registerThroughGateway, type Registration } from '../../src/sdk/onboarding.ts';
import { walletSigner } from '../../src/sdk/actions/consentSignature.ts';
import { loadConfig, type UiConfig } from './lib/config.ts';
import { directory } from './lib/api.ts';
import { PROVIDER_KINDS, providerProfileFields, providerProfileHash, providerProfileTypedData, type ProviderProfile } from '../../src/sdk/providerProfile.ts';
import { loadStoredKeys } from './lib/keystoreStorage.ts';
import { SessionContext, sendTx, signInGateway, type Session } from './lib/session.tsx';
import { ActionButton, ErrorNote, Field, Loading, Section } from './ui.tsx';
import { useAccountInfo, type AccountInfo } from './lib/accountInfo.ts';
import { SignIn } from './screens/SignIn.tsx';
import { Explorer } from './screens/Explorer.tsx';
import { PatientScreen } from './screens/Patient.tsx';
import { ProviderScreen } from './screens/Provider.tsx';
import { AdminScreen } from './screens/Admin.tsx';

const SCREENS = ['patient', 'provider', 'admin', 'explorer'] as const;
type Screen = typeof SCREENS[number];

function useHashScreen(): Screen {
  const read = () => (SCREENS.find((s) => window.location.hash === `#/${s}`) ?? 'patient');
  const [screen, setScreen] = useState<Screen>(read);
  useEffect(() => {
    const on = () => setScreen(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return screen;
}

/**
 * Applies as a provider committing to a signed professional profile: the profile's EIP-712 hash is
 * the metadataHash on chain, and the signed profile is published in the gateway's directory.
 */
async function applyAsProvider(session: Session, kind: number, fields: { displayName: string; specialty: string; organization: string; licenceNumber: string }, register: (registration: Registration) => Promise<void>) {
  const kindName = PROVIDER_KINDS[kind] ?? 'other';
  const checked = providerProfileFields.safeParse({ ...fields, kind: kindName });
  if (!checked.success) throw new Error(checked.error.issues.map((i) => i.message).join('; '));
  const profile: ProviderProfile = { ...checked.data, provider: session.address, issuedAt: BigInt(Math.floor(Date.now() / 1000)) };
  const signature = await session.wallet.signTypedData({ account: session.account, ...providerProfileTypedData(session.config.chainId, profile) });
  await register({ role: 'provider', kind, encryptionKey: viemHex(session.encryption.publicKey), metadataHash: providerProfileHash(session.config.chainId, profile) });
  if (session.gatewayStatus.ok) {
    await directory.publish(session.config.origin, session.address, { ...checked.data, issuedAt: profile.issuedAt.toString() }, signature);
  }
}

const roleName = (info: AccountInfo) => {
  const base = ['No role yet', 'Patient', 'Provider', 'Device'][info.role] ?? 'Unknown';
  const status = info.role === Role.Provider ? ` (${['', 'pending accreditation', 'accredited', 'suspended'][info.providerStatus]})` : '';
  return `${base}${status}${info.isAdmin ? ' · Admin' : ''}`;
};

function AccountPanel({ session, onLock, onSession }: { session: Session; onLock: () => void; onSession: (s: Session) => void }) {
  const info = useAccountInfo(session);
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<number>(ProviderKind.Doctor);
  const [profile, setProfile] = useState({ displayName: '', specialty: '', organization: '', licenceNumber: '' });
  const pub = viemHex(session.encryption.publicKey);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['account', session.address] });
  // Registration is signed here and relayed by the gateway, which admits the account to a permissioned
  // chain; without a gateway session (a bare JSON-RPC setup) the account sends its own transaction.
  const signer = walletSigner(session.wallet, session.account);
  const register = async (registration: Registration) => {
    if (session.gatewayStatus.ok) await registerThroughGateway(session.gateway, signer, registration);
    else if (registration.role === 'patient') await sendTx(session, { address: session.config.addresses.identity, abi: IdentityAbi, functionName: 'registerPatient', args: [registration.encryptionKey, registration.metadataHash] });
    else await sendTx(session, { address: session.config.addresses.identity, abi: IdentityAbi, functionName: 'applyAsProvider', args: [registration.kind, registration.encryptionKey, registration.metadataHash] });
    await refresh();
  };
  // The gateway fixes a session's role at sign-in: when the role on chain changes (registered,
  // accredited, suspended, made admin), sign in again so the gateway serves the new role.
  const roleKey = info.data ? `${info.data.role}/${info.data.providerStatus}/${info.data.isAdmin}` : undefined;
  const seenRole = useRef(roleKey);
  useEffect(() => {
    if (roleKey === undefined) return;
    if (seenRole.current === undefined) { seenRole.current = roleKey; return; }
    if (seenRole.current === roleKey) return;
    seenRole.current = roleKey;
    void signInGateway(session).then((gatewayStatus) => onSession({ ...session, gatewayStatus }));
  }, [roleKey, session, onSession]);
  const download = () => {
    const keys = loadStoredKeys();
    if (!keys) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(keys, null, 2)], { type: 'application/json' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: 'medchain-keys.json' });
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Section title="Your account" id="account">
      <dl className="facts">
        <dt>Address</dt><dd><code data-testid="address">{session.address}</code></dd>
        <dt>Signing</dt><dd>{session.via === 'keystore' ? 'browser keystore' : 'browser wallet'}</dd>
        <dt>Role on chain</dt><dd data-testid="role">{info.isPending ? 'reading…' : info.data ? roleName(info.data) : '—'}</dd>
        {info.data?.chargesGas ? <><dt>Balance</dt><dd>{formatEther(info.data.balance)} ETH</dd></> : null}
        <dt>Gateway</dt><dd data-testid="gateway-status">{session.gatewayStatus.ok ? `signed in (${session.gatewayStatus.role})` : session.gatewayStatus.error}</dd>
      </dl>
      {info.error ? <ErrorNote error={info.error} title="Could not read your account from the chain" /> : null}
      {info.data && info.data.role !== Role.None && info.data.encryptionKey.toLowerCase() !== pub.toLowerCase() ? (
        <p className="state error" role="alert">The encryption key registered on chain is not the one in this browser: records shared with you cannot be opened here.</p>
      ) : null}
      {info.data?.role === Role.None ? (
        <div className="register">
          <p>This account is not registered yet. Registering puts only your address and your public encryption key on chain.</p>
          {info.data.chargesGas && info.data.balance === 0n ? <p className="state empty">This chain charges for transactions and the account holds no ETH: ask the hospital to fund it first.</p> : null}
          <ActionButton label="Register as patient" kind="primary" done="Registered"
            run={() => register({ role: 'patient', encryptionKey: pub, metadataHash: keccak256(viemHex('medchain-patient')) })} />
          <fieldset className="terms">
            <legend>Or apply as a provider: your professional profile</legend>
            <p className="muted">Public professional data, shown to patients and checked by the hospital's admin before accreditation.</p>
            <Field label="Provider kind">
              <select value={kind} onChange={(e) => setKind(Number(e.target.value))}>
                {Object.entries(ProviderKind).map(([name, value]) => <option key={name} value={value}>{name}</option>)}
              </select>
            </Field>
            <Field label="Display name" hint="e.g. Dr. Ada Grey"><input value={profile.displayName} onChange={(e) => setProfile({ ...profile, displayName: e.target.value })} /></Field>
            <Field label="Specialty"><input value={profile.specialty} onChange={(e) => setProfile({ ...profile, specialty: e.target.value })} /></Field>
            <Field label="Organization"><input value={profile.organization} onChange={(e) => setProfile({ ...profile, organization: e.target.value })} /></Field>
            <Field label="Licence number"><input value={profile.licenceNumber} onChange={(e) => setProfile({ ...profile, licenceNumber: e.target.value })} /></Field>
            <ActionButton label="Apply as provider" done="Applied; waiting for accreditation"
              run={async () => { await applyAsProvider(session, kind, profile, register); await refresh(); }} />
          </fieldset>
        </div>
      ) : null}
      <div className="row">
        {session.via === 'keystore' ? <button type="button" onClick={download}>Download key backup</button> : null}
        <button type="button" onClick={onLock}>Lock</button>
      </div>
    </Section>
  );
}

export function App() {
  const screen = useHashScreen();
  const config = useQuery<UiConfig>({ queryKey: ['config'], queryFn: () => loadConfig(), staleTime: Infinity, retry: 1 });
  const [session, setSession] = useState<Session | undefined>();
  const queryClient = useQueryClient();
  const lock = () => {
    session?.encryption.privateKey.fill(0);
    void session?.gateway.signOut();
    setSession(undefined);
    queryClient.clear();
  };
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <h1>MedChain</h1>
        <nav aria-label="Screens">
          {SCREENS.map((s) => <a key={s} href={`#/${s}`} aria-current={screen === s ? 'page' : undefined}>{s[0]!.toUpperCase() + s.slice(1)}</a>)}
        </nav>
      </header>
      <div id="main" tabIndex={-1}>
        {config.isPending ? <Loading what="chain configuration" /> : config.error ? <ErrorNote error={config.error} title="Cannot reach the gateway" /> : (
          screen === 'explorer' ? <Explorer config={config.data} session={session} />
            : !session ? <SignIn config={config.data} onSession={setSession} />
              : (
                <SessionContext.Provider value={session}>
                  <AccountPanel session={session} onLock={lock} onSession={setSession} />
                  {screen === 'patient' ? <PatientScreen /> : screen === 'provider' ? <ProviderScreen /> : <AdminScreen />}
                </SessionContext.Provider>
              )
        )}
      </div>
    </>
  );
}


