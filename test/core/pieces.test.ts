import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pieces } from '../../src/core/pieces.ts';

test('joins what was pushed, in order, across runs', () => {
  for (const n of [0, 1, 4095, 4096, 4097, 10_000]) {
    const p = new Pieces();
    let expected = '';
    for (let i = 0; i < n; i++) {
      const s = i % 7 === 0 ? 'é🌧' : String(i % 10);
      p.push(s);
      expected += s;
    }
    assert.equal(p.join(), expected, `n=${n}`);
    assert.equal(p.join(), expected, 'join twice');
  }
});
