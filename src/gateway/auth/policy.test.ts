import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from 'viem';
import { hasOversight, mayListAudit, mayReadAuditAbout, mayReadBreakGlassReason, mayViewConsent } from './policy.ts';
import type { Session } from '../routes/types.ts';

const P = '0x1111111111111111111111111111111111111111' as Address;
const D = '0x2222222222222222222222222222222222222222' as Address;
const X = '0x3333333333333333333333333333333333333333' as Address;
const as = (address: Address, role: Session['role']): Session => ({ address, role });

test('the policy: parties see what concerns them, oversight sees all, strangers nothing (addresses in any case)', () => {
  for (const role of ['admin', 'auditor'] as const) {
    assert.ok(hasOversight(as(X, role)));
    assert.ok(mayViewConsent(as(X, role), P, D));
    assert.ok(mayReadAuditAbout(as(X, role), P));
    assert.ok(mayReadBreakGlassReason(as(X, role), P, D));
    assert.ok(mayListAudit(as(X, role)));
  }
  assert.ok(mayViewConsent(as(P, 'patient'), P.toUpperCase().replace('0X', '0x')));
  assert.ok(mayViewConsent(as(D, 'provider'), P, D));
  assert.ok(mayReadAuditAbout(as(D, 'provider'), P, D), 'the actor reads the entry about their own act');
  assert.ok(mayReadBreakGlassReason(as(D, 'provider'), P, D));
  assert.ok(mayListAudit(as(P, 'patient')));
  for (const stranger of [as(X, 'provider'), as(X, 'patient'), as(X, 'none')]) {
    assert.equal(hasOversight(stranger), false);
    assert.equal(mayViewConsent(stranger, P, D), false);
    assert.equal(mayReadAuditAbout(stranger, P, D), false);
    assert.equal(mayReadBreakGlassReason(stranger, P, D), false);
  }
  assert.equal(mayListAudit(as(X, 'provider')), false);
  assert.equal(mayViewConsent(as(X, 'patient'), P, undefined), false);
});
