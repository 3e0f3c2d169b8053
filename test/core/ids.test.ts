// Minted ids (src/core/ids.ts): the prefix as given, then `length` base62 characters drawn from the
// CSPRNG; unique; any prefix (non-Latin-1, longer than the scratch buffer) kept exactly.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mintId } from '../../src/core/ids.ts';

describe('mintId', () => {
  test('prefix, then base62 characters of the length asked', () => {
    assert.match(mintId('chatcmpl-'), /^chatcmpl-[0-9A-Za-z]{24}$/);
    assert.match(mintId('req_', 10), /^req_[0-9A-Za-z]{10}$/);
    assert.match(mintId(''), /^[0-9A-Za-z]{24}$/);
  });

  test('any prefix is kept exactly', () => {
    for (const prefix of ['é-', '€-', '😀_', 'x'.repeat(200), 'msg_']) {
      const id = mintId(prefix, 8);
      assert.equal(id.slice(0, prefix.length), prefix);
      assert.match(id.slice(prefix.length), /^[0-9A-Za-z]{8}$/);
    }
  });

  test('unique, and every character of the alphabet is drawn', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = mintId('call_');
      seen.add(id);
      for (const c of id.slice(5)) chars.add(c);
    }
    assert.equal(seen.size, 50_000);
    assert.equal(chars.size, 62);
  });
});
