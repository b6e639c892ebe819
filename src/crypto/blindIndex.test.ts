import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blindIndexToken, blindIndexTokens, codeTerm, generateBlindIndexKey, keywordTerms, normalizeTerm, unwrapBlindIndexKey, wrapBlindIndexKey } from './blindIndex.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { generateEncryptionKeyPair } from './hpke.ts';

describe('blind indexes', () => {
  const key = generateBlindIndexKey();

  it('normalizes so that equal terms match regardless of case, accents and spacing', () => {
    assert.equal(normalizeTerm('  Diabète   Type 2 '), 'diabete type 2');
    assert.equal(blindIndexToken(key, 'DIABÈTE'), blindIndexToken(key, 'diabete'));
    assert.equal(blindIndexToken(key, codeTerm(' http://loinc.org ', '2345-7 ')), blindIndexToken(key, 'http://loinc.org|2345-7'));
    assert.deepEqual(keywordTerms('Chest X-ray: no acute findings; chest clear'), ['chest', 'ray', 'no', 'acute', 'findings', 'clear']);
  });

  it('tokens are 32-byte HMAC-SHA256 hex and depend on the key and kind', () => {
    const other = generateBlindIndexKey();
    assert.notEqual(blindIndexToken(key, 'glucose'), blindIndexToken(other, 'glucose'));
    assert.notEqual(blindIndexToken(key, 'x|1', 'code'), blindIndexToken(key, 'x|1', 'word'));
    assert.match(blindIndexToken(key, 'glucose'), /^[0-9a-f]{64}$/);
  });

  it('record token sets match a query for one of its codes or words, and contain no plaintext', () => {
    const tokens = blindIndexTokens(key, { codes: [{ system: 'http://loinc.org', code: '2345-7' }], text: 'Glucose [Mass/volume] in Serum' });
    assert.ok(tokens.includes(blindIndexToken(key, codeTerm('http://loinc.org', '2345-7'))));
    assert.ok(tokens.includes(blindIndexToken(key, 'SERUM')));
    assert.ok(!tokens.includes(blindIndexToken(key, 'plasma')));
    assert.ok(!tokens.join('').includes('glucose'));
  });

  it('the search key is shared with a grantee by HPKE, bound to the patient', async () => {
    const grantee = generateEncryptionKeyPair();
    const patient = '0x' + '88'.repeat(20);
    const env = await wrapBlindIndexKey(key, grantee.publicKey, patient);
    const shared = await unwrapBlindIndexKey(env, grantee.privateKey, patient);
    assert.equal(blindIndexToken(shared, 'glucose'), blindIndexToken(key, 'glucose'));
    await assert.rejects(unwrapBlindIndexKey(env, grantee.privateKey, '0x' + '99'.repeat(20)), DecryptionError);
    await assert.rejects(unwrapBlindIndexKey(env, generateEncryptionKeyPair().privateKey, patient), DecryptionError);
    await assert.rejects(wrapBlindIndexKey(key, grantee.publicKey, 'nobody'), /patient/);
  });

  it('rejects bad input', () => {
    assert.throws(() => blindIndexToken(key.subarray(1), 'x'), CryptoInputError);
    assert.throws(() => blindIndexToken(key, '   '), /empty/);
    assert.throws(() => codeTerm('', '1'), /system and code/);
  });

  it('property: normalization is idempotent and tokens are deterministic', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0 && normalizeTerm(s).length > 0), (s) => {
      assert.equal(normalizeTerm(normalizeTerm(s)), normalizeTerm(s));
      assert.equal(blindIndexToken(key, s), blindIndexToken(key, normalizeTerm(s)));
    }));
  });
});
