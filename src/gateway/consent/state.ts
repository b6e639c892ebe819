/**
 * The consent state the contracts' access rule reads, rebuilt from their events (event sourcing):
 * accounts and roles (Identity), grants and the current grant of each (patient, grantee, scope)
 * slot (Consent), and break-glass windows. `apply` mirrors, event by event, what the contract did
 * to its storage when it emitted the event; it is pure (no I/O), so the differential property test
 * (test/gateway/consent-view.property.test.ts) can hold it against the contracts themselves.
 *
 * Records and their versions are not kept here (there can be millions): the view reads them from
 * the SQL index the same indexer transaction writes (src/gateway/consent/view.ts).
 */
import type { Address, Hex } from 'viem';
import { ProviderStatus, Role, ScopeKind } from '../../sdk/contracts.ts';
import { withWithdrawal, type AccessState, type GatewayRole, type GrantSnapshot } from '../chain/access.ts';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const ZERO_SCOPE: Hex = `0x${'00'.repeat(32)}`;

/** One decoded event, with the timestamp of the block it was mined in. */
export interface ConsentEvent {
  eventName: string;
  args: Record<string, unknown>;
  blockTimestamp: bigint;
}

export interface AccountEntry { role: number; status: number; owner: string }
export type GrantEntry = GrantSnapshot & { patient: string; grantee: string };
export interface EmergencyEntry { openedAt: bigint; until: bigint; accessId: bigint }

const low = (v: unknown) => String(v).toLowerCase();
const big = (v: unknown) => BigInt(v as string | number | bigint);
const slotKey = (patient: string, grantee: string, kind: number, value: string) => `${patient}:${grantee}:${kind}:${value.toLowerCase()}`;
const pairKey = (patient: string, provider: string) => `${patient}:${provider}`;

/** The events that change what the access rule reads; everything else is ignored. */
export const consentStateEvents = [
  'PatientRegistered', 'ProviderApplied', 'ProviderAccredited', 'ProviderSuspended', 'ProviderReinstated', 'DeviceRegistered', 'DeviceRemoved',
  'AdminAdded', 'AdminRemoved', 'AuditorSet',
  'GrantCreated', 'GrantRevoked', 'GrantSuperseded', 'GrantExtended', 'EmergencyAccessOpened', 'EmergencyAccessClosed',
] as const;

export class ConsentState {
  readonly accounts = new Map<string, AccountEntry>();
  readonly admins = new Set<string>();
  readonly auditors = new Set<string>();
  readonly grants = new Map<bigint, GrantEntry>();
  readonly slots = new Map<string, bigint>();
  readonly emergencies = new Map<string, EmergencyEntry>();

  /** Applies one event as the contract applied it to its storage (Identity.sol, Consent.sol). */
  apply({ eventName, args: a, blockTimestamp: ts }: ConsentEvent): void {
    switch (eventName) {
      case 'PatientRegistered': this.accounts.set(low(a.patient), { role: Role.Patient, status: ProviderStatus.None, owner: ZERO_ADDRESS }); break;
      case 'ProviderApplied': this.accounts.set(low(a.provider), { role: Role.Provider, status: ProviderStatus.Pending, owner: ZERO_ADDRESS }); break;
      case 'ProviderAccredited': case 'ProviderReinstated': this.setStatus(a.provider, ProviderStatus.Active); break;
      case 'ProviderSuspended': this.setStatus(a.provider, ProviderStatus.Suspended); break;
      case 'DeviceRegistered': this.accounts.set(low(a.device), { role: Role.Device, status: ProviderStatus.None, owner: low(a.patient) }); break;
      // removeDevice deletes the account: the address may register again, as anything.
      case 'DeviceRemoved': this.accounts.delete(low(a.device)); break;
      case 'AdminAdded': this.admins.add(low(a.admin)); break;
      case 'AdminRemoved': this.admins.delete(low(a.admin)); break;
      case 'AuditorSet': if (a.enabled === true || a.enabled === 'true') this.auditors.add(low(a.auditor)); else this.auditors.delete(low(a.auditor)); break;
      case 'GrantCreated': {
        const grantId = big(a.grantId);
        const entry: GrantEntry = {
          grantId, patient: low(a.patient), grantee: low(a.grantee), scopeKind: Number(a.scopeKind), scopeValue: low(a.scopeValue) as Hex,
          permissions: Number(a.permissions), purpose: low(a.purpose) as Hex, validFrom: big(a.validFrom), validUntil: big(a.validUntil), revokedAt: 0n,
        };
        this.grants.set(grantId, entry);
        this.slots.set(slotKey(entry.patient, entry.grantee, entry.scopeKind, entry.scopeValue), grantId);
        break;
      }
      // Both end a grant at the block's second (`revokedAt = block.timestamp`).
      case 'GrantRevoked': case 'GrantSuperseded': { const g = this.grants.get(big(a.grantId)); if (g) g.revokedAt = ts; break; }
      case 'GrantExtended': { const g = this.grants.get(big(a.grantId)); if (g) g.validUntil = big(a.validUntil); break; }
      case 'EmergencyAccessOpened': this.emergencies.set(pairKey(low(a.patient), low(a.provider)), { openedAt: ts, until: big(a.until), accessId: big(a.accessId) }); break;
      // closeEmergencyAccess sets `until = block.timestamp`.
      case 'EmergencyAccessClosed': { const e = this.emergencies.get(pairKey(low(a.patient), low(a.provider))); if (e) e.until = ts; break; }
      default: break;
    }
  }

  private setStatus(provider: unknown, status: number) {
    const account = this.accounts.get(low(provider));
    if (account) account.status = status;
  }

  /** Identity.roleOf / isActiveProvider / deviceOwner, as the contract answers them. */
  account(address: string): AccountEntry {
    return this.accounts.get(address.toLowerCase()) ?? { role: Role.None, status: ProviderStatus.None, owner: ZERO_ADDRESS };
  }

  /** Consent.currentGrant: the grant id in a slot, or 0. */
  currentGrant(patient: string, grantee: string, kind: number, value: string): bigint {
    return this.slots.get(slotKey(patient.toLowerCase(), grantee.toLowerCase(), kind, value)) ?? 0n;
  }

  /** Consent.emergencyOf: the latest break-glass window (zero when none). */
  emergencyOf(patient: string, provider: string): EmergencyEntry {
    return this.emergencies.get(pairKey(patient.toLowerCase(), provider.toLowerCase())) ?? { openedAt: 0n, until: 0n, accessId: 0n };
  }

  /**
   * What `decideAccess` needs, as createChainAccess reads it from the chain. `withdrawn` grants
   * (revocations the gateway accepted but the chain has not mined yet) count as revoked.
   */
  accessState(patient: Address, accessor: Address, category: Hex, recordId: Hex, blockTimestamp: bigint, withdrawn?: (grantId: bigint) => boolean): AccessState {
    const who = this.account(accessor);
    const grants: GrantSnapshot[] = [];
    for (const [kind, value] of [[ScopeKind.All, ZERO_SCOPE], [ScopeKind.Category, category], [ScopeKind.Record, recordId]] as const) {
      const id = this.currentGrant(patient, accessor, kind, value);
      const g = id === 0n ? undefined : this.grants.get(id);
      if (!g) continue;
      const { patient: _p, grantee: _g, ...snapshot } = g;
      grants.push(withWithdrawal(snapshot, withdrawn, blockTimestamp));
    }
    return {
      accessor, patient, grants, blockTimestamp,
      activeProvider: who.role === Role.Provider && who.status === ProviderStatus.Active,
      provider: who.role === Role.Provider,
      deviceOwner: (who.role === Role.Device ? who.owner : ZERO_ADDRESS) as Address,
      emergencyUntil: this.emergencyOf(patient, accessor).until,
    };
  }

  /** The caller's role as the gateway sees it (same rule as createChainAccess.resolveRole). */
  role(address: string): GatewayRole {
    const a = address.toLowerCase();
    if (this.admins.has(a)) return 'admin';
    if (this.auditors.has(a)) return 'auditor';
    const who = this.account(a);
    if (who.role === Role.Patient) return 'patient';
    if (who.role === Role.Provider) return who.status === ProviderStatus.Active ? 'provider' : 'none';
    if (who.role === Role.Device) return 'device';
    return 'none';
  }
}
