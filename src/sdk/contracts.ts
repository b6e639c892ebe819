/**
 * Typed access to the MedChain contracts: deployment, enums mirrored from Solidity, and the
 * EIP-712 messages patients sign so that anyone may relay their consent decisions.
 * Used by the gateway, the CLI, the web UI and the tests alike.
 */
import {
  encodeFunctionData, getContract, keccak256, toBytes,
  type Account, type Address, type Chain, type Hex, type PublicClient, type TransactionReceipt, type Transport, type WalletClient,
} from 'viem';
import {
  AccessLogAnchorAbi, AccessLogAnchorBytecode, ConsentAbi, ConsentBytecode, IdentityAbi, IdentityBytecode,
  IncentivesAbi, IncentivesBytecode, MedTokenAbi, RecordRegistryAbi, RecordRegistryBytecode, StudiesAbi, StudiesBytecode,
} from '../../contracts/build/abis.ts';

export { AccessLogAnchorAbi, ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, RecordRegistryAbi, StudiesAbi };

/** Mirrors of the Solidity enums (numeric values are the ABI encoding). */
export const Role = { None: 0, Patient: 1, Provider: 2, Device: 3 } as const;
export const ProviderStatus = { None: 0, Pending: 1, Active: 2, Suspended: 3 } as const;
export const ProviderKind = { Doctor: 0, Lab: 1, Hospital: 2, Pharmacy: 3, Other: 4, Research: 5 } as const;
export const SuspensionReason = { BreakGlassAbuse: 0, LicenceRevoked: 1, SecurityIncident: 2, Other: 3 } as const;
export const ScopeKind = { All: 0, Category: 1, Record: 2 } as const;
/**
 * Why access is granted. Not a Solidity enum: on chain a grant or request carries only an opaque
 * bytes32 tag of the purpose, blinded per patient and grantee (crypto/categoryKey.ts blindPurpose,
 * GatewayClient.purposeTags); the gateway decodes it for those who may see the grant.
 */
export const Purpose = { Treatment: 'Treatment', Research: 'Research', Emergency: 'Emergency', Insurance: 'Insurance', Other: 'Other' } as const;
export type PurposeName = keyof typeof Purpose;
export const PURPOSES = Object.keys(Purpose) as PurposeName[];
export const GrantState = { None: 0, Upcoming: 1, Active: 2, Expired: 3, Revoked: 4 } as const;
export const RequestStatus = { None: 0, Pending: 1, Approved: 2, Rejected: 3, Cancelled: 4 } as const;
/**
 * Coded break-glass reasons. Not on chain: the code is committed to with the stated text and a salt
 * (sdk/breakGlassReason.ts reasonCommitment) and sealed with the text for the patient and auditors.
 */
export const EmergencyReason = { Unconscious: 'Unconscious', LifeThreatening: 'LifeThreatening', Incapacitated: 'Incapacitated', Other: 'Other' } as const;
export type EmergencyReasonCode = keyof typeof EmergencyReason;
export const EMERGENCY_REASONS = Object.keys(EmergencyReason) as EmergencyReasonCode[];
export const Permission = { Read: 1, Write: 2, ReadWrite: 3 } as const;

export const ZERO_SCOPE: Hex = `0x${'00'.repeat(32)}`;

/**
 * The legacy, public category of a FHIR resource type: keccak256(type). Anyone can reverse it by
 * hashing the type names, so new records carry the patient's blinded category instead
 * (crypto/categoryKey.ts, GatewayClient.recordCategories); this stays for records written before
 * blinding, for parsing a type offline (sdk/blindScope.ts swaps it before signing) and in tests.
 */
export function recordCategory(resourceType: string): Hex {
  return keccak256(toBytes(resourceType));
}

export interface MedChainAddresses {
  identity: Address;
  consent: Address;
  incentives: Address;
  token: Address;
  recordRegistry: Address;
  accessLogAnchor: Address;
  /** Research studies (docs/research.md). Deployments made before it existed lack it: the gateway then runs without research. */
  studies: Address;
}

export interface GrantTerms {
  grantee: Address;
  scopeKind: number;
  scopeValue: Hex;
  permissions: number;
  /** The purpose tag (bytes32): `GatewayClient.purposeTags`, never a public value. */
  purpose: Hex;
  validFrom: bigint;
  validUntil: bigint;
}

export interface DeployOptions {
  /** Extra admins besides the deployer. */
  admins?: Address[];
  accreditationThreshold?: bigint;
  adminThreshold?: bigint;
  /** Validators reported by getValidators() until providers contribute (default: the deployer). */
  genesisValidators?: Address[];
  /** Called with each deployment's receipt (for gas accounting and deployment records). */
  onDeployed?: (name: string, receipt: TransactionReceipt) => void;
}

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

async function deploy(wallet: Wallet, client: PublicClient, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[]): Promise<TransactionReceipt & { contractAddress: Address }> {
  const hash = await wallet.deployContract({ abi, bytecode, args, chain: wallet.chain } as Parameters<Wallet['deployContract']>[0]);
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment failed in ${hash}`);
  return receipt as TransactionReceipt & { contractAddress: Address };
}

/**
 * Deploys the MedChain contracts and wires them together. The deployer is the first admin; it
 * links the registry to the incentives through governance (threshold 1 at that moment), then adds
 * the extra admins and raises the thresholds as asked.
 */
export async function deployMedChain(wallet: Wallet, client: PublicClient, options: DeployOptions = {}): Promise<MedChainAddresses> {
  const deployer = wallet.account.address;
  const step = async (name: string, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[]) => {
    const receipt = await deploy(wallet, client, abi, bytecode, args);
    options.onDeployed?.(name, receipt);
    return receipt.contractAddress;
  };
  const identity = await step('Identity', IdentityAbi, IdentityBytecode, [[deployer], 1n, 1n]);
  const consent = await step('Consent', ConsentAbi, ConsentBytecode, [identity]);
  const incentives = await step('Incentives', IncentivesAbi, IncentivesBytecode, [identity, options.genesisValidators ?? [deployer]]);
  const recordRegistry = await step('RecordRegistry', RecordRegistryAbi, RecordRegistryBytecode, [identity, consent, incentives]);
  const accessLogAnchor = await step('AccessLogAnchor', AccessLogAnchorAbi, AccessLogAnchorBytecode, [identity]);
  const studies = await step('Studies', StudiesAbi, StudiesBytecode, [identity]);
  const token = await client.readContract({ address: incentives, abi: IncentivesAbi, functionName: 'token' });

  const govern = async (target: Address, data: Hex) => {
    const hash = await wallet.writeContract({ address: identity, abi: IdentityAbi, functionName: 'approve', args: [target, data], chain: wallet.chain });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== 'success') throw new Error(`governance call failed in ${hash}`);
  };
  await govern(incentives, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRecordRegistry', args: [recordRegistry] }));
  for (const admin of options.admins ?? []) {
    await govern(identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [admin] }));
  }
  const acc = options.accreditationThreshold ?? 1n;
  const adm = options.adminThreshold ?? 1n;
  if (acc !== 1n || adm !== 1n) {
    await govern(identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'setThresholds', args: [acc, adm] }));
  }
  return { identity, consent, incentives, token, recordRegistry, accessLogAnchor, studies };
}

/** viem contract instances for every MedChain contract. */
export function medChainContracts<C extends PublicClient | Wallet>(client: C, addresses: MedChainAddresses) {
  const at = <A extends readonly unknown[]>(address: Address, abi: A) => getContract({ address, abi, client });
  return {
    identity: at(addresses.identity, IdentityAbi),
    consent: at(addresses.consent, ConsentAbi),
    incentives: at(addresses.incentives, IncentivesAbi),
    token: at(addresses.token, MedTokenAbi),
    recordRegistry: at(addresses.recordRegistry, RecordRegistryAbi),
    accessLogAnchor: at(addresses.accessLogAnchor, AccessLogAnchorAbi),
    studies: at(addresses.studies, StudiesAbi),
  };
}

// ---------------------------------------------------------------- EIP-712 consent messages

export function consentDomain(chainId: number, consent: Address) {
  return { name: 'MedChain Consent', version: '1', chainId, verifyingContract: consent } as const;
}

export const consentTypes = {
  Grant: [
    { name: 'patient', type: 'address' }, { name: 'grantee', type: 'address' }, { name: 'scopeKind', type: 'uint8' },
    { name: 'scopeValue', type: 'bytes32' }, { name: 'permissions', type: 'uint8' }, { name: 'purpose', type: 'bytes32' },
    { name: 'validFrom', type: 'uint64' }, { name: 'validUntil', type: 'uint64' }, { name: 'requestId', type: 'uint256' },
    { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
  Revoke: [
    { name: 'patient', type: 'address' }, { name: 'grantId', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
  Extend: [
    { name: 'patient', type: 'address' }, { name: 'grantId', type: 'uint256' }, { name: 'validUntil', type: 'uint64' },
    { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
} as const;

interface SigContext { chainId: number; consent: Address; patient: Address; nonce: bigint; deadline: bigint }

/** Typed data for a relayed grant (pass to `account.signTypedData` / `wallet.signTypedData`). */
export function grantTypedData(ctx: SigContext & { terms: GrantTerms; requestId?: bigint }) {
  const { terms } = ctx;
  return {
    domain: consentDomain(ctx.chainId, ctx.consent),
    types: { Grant: consentTypes.Grant },
    primaryType: 'Grant' as const,
    message: {
      patient: ctx.patient, grantee: terms.grantee, scopeKind: terms.scopeKind, scopeValue: terms.scopeValue,
      permissions: terms.permissions, purpose: terms.purpose, validFrom: terms.validFrom, validUntil: terms.validUntil,
      requestId: ctx.requestId ?? 0n, nonce: ctx.nonce, deadline: ctx.deadline,
    },
  };
}

/** Typed data for a relayed revocation. */
export function revokeTypedData(ctx: SigContext & { grantId: bigint }) {
  return {
    domain: consentDomain(ctx.chainId, ctx.consent),
    types: { Revoke: consentTypes.Revoke },
    primaryType: 'Revoke' as const,
    message: { patient: ctx.patient, grantId: ctx.grantId, nonce: ctx.nonce, deadline: ctx.deadline },
  };
}

/** Typed data for a relayed extension. */
export function extendTypedData(ctx: SigContext & { grantId: bigint; validUntil: bigint }) {
  return {
    domain: consentDomain(ctx.chainId, ctx.consent),
    types: { Extend: consentTypes.Extend },
    primaryType: 'Extend' as const,
    message: { patient: ctx.patient, grantId: ctx.grantId, validUntil: ctx.validUntil, nonce: ctx.nonce, deadline: ctx.deadline },
  };
}

// ---------------------------------------------------------------- EIP-712 identity messages

export function identityDomain(chainId: number, identity: Address) {
  return { name: 'MedChain Identity', version: '1', chainId, verifyingContract: identity } as const;
}

export const identityTypes = {
  RegisterPatient: [
    { name: 'patient', type: 'address' }, { name: 'encryptionKey', type: 'bytes32' }, { name: 'metadataHash', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
  ApplyAsProvider: [
    { name: 'provider', type: 'address' }, { name: 'kind', type: 'uint8' }, { name: 'encryptionKey', type: 'bytes32' },
    { name: 'metadataHash', type: 'bytes32' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
  RegisterDevice: [
    { name: 'device', type: 'address' }, { name: 'owner', type: 'address' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
  ],
} as const;

interface IdentitySigContext { chainId: number; identity: Address; nonce: bigint; deadline: bigint }

/** Typed data a new patient signs so that the gateway relays their registration (Identity.registerPatientBySig). */
export function registerPatientTypedData(ctx: IdentitySigContext & { patient: Address; encryptionKey: Hex; metadataHash: Hex }) {
  return {
    domain: identityDomain(ctx.chainId, ctx.identity),
    types: { RegisterPatient: identityTypes.RegisterPatient },
    primaryType: 'RegisterPatient' as const,
    message: { patient: ctx.patient, encryptionKey: ctx.encryptionKey, metadataHash: ctx.metadataHash, nonce: ctx.nonce, deadline: ctx.deadline },
  };
}

/** Typed data an applicant signs so that the gateway relays their provider application (Identity.applyAsProviderBySig). */
export function applyAsProviderTypedData(ctx: IdentitySigContext & { provider: Address; kind: number; encryptionKey: Hex; metadataHash: Hex }) {
  return {
    domain: identityDomain(ctx.chainId, ctx.identity),
    types: { ApplyAsProvider: identityTypes.ApplyAsProvider },
    primaryType: 'ApplyAsProvider' as const,
    message: { provider: ctx.provider, kind: ctx.kind, encryptionKey: ctx.encryptionKey, metadataHash: ctx.metadataHash, nonce: ctx.nonce, deadline: ctx.deadline },
  };
}

/** Typed data the device key signs to consent to belonging to `owner` (Identity.registerDevice's deviceSignature). */
export function registerDeviceTypedData(ctx: IdentitySigContext & { device: Address; owner: Address }) {
  return {
    domain: identityDomain(ctx.chainId, ctx.identity),
    types: { RegisterDevice: identityTypes.RegisterDevice },
    primaryType: 'RegisterDevice' as const,
    message: { device: ctx.device, owner: ctx.owner, nonce: ctx.nonce, deadline: ctx.deadline },
  };
}
