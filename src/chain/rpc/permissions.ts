/** Account permissioning over JSON-RPC, under Besu's perm_* names; admin endpoints only. */
import { invalidParams } from '../errors.ts';
import { address, param } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

const admin = { admin: true };

const changeAllowlist = (allowed: boolean) => rpcMethod([param.raw], async ({ chain }, [accounts]) => {
  if (!Array.isArray(accounts)) throw invalidParams('expected an array of addresses');
  await chain.setAllowed(accounts.map((a) => address(a, 'address').toString()), allowed);
  return 'Success';
}, admin);

export const permissionMethods: RpcMethods = {
  perm_getAccountsAllowlist: rpcMethod([], ({ chain }) => (chain.permissioning === 'open' ? null : chain.allowlist()), admin),
  perm_addAccountsToAllowlist: changeAllowlist(true),
  perm_removeAccountsFromAllowlist: changeAllowlist(false),
};
