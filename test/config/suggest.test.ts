import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, didYouMean } from '../../src/config/suggest.ts';

test('closestName finds plausible typos only', () => {
  assert.equal(closestName('opnai', ['anthropic', 'openai', 'local']), 'openai');
  assert.equal(closestName('hots', ['host', 'port']), 'host'); // transposition counts as one edit
  assert.equal(closestName('OpenAI', ['openai']), 'openai');
  assert.equal(closestName('zzzzzz', ['openai', 'local']), undefined);
  assert.equal(closestName('a', ['b', 'xyz']), 'b');
  assert.equal(closestName('x', []), undefined);
  assert.equal(didYouMean('bse_url', ['base_url', 'api_key']), ' (did you mean "base_url"?)');
  assert.equal(didYouMean('qqq', ['base_url']), '');
});
