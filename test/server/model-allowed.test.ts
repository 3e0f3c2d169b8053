// A key's `models` list (SPEC §6): exact names, `provider/model`, and `*` patterns as config accepts
// them (config/routing.ts leaves `*` entries to this matcher).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelAllowed, type ClientKey } from '../../src/server/auth.ts';

const key = (models?: string[]): ClientKey => ({ name: 'k', models, source: 'config' });

test('no list allows every model; exact entries match exactly', () => {
  assert.equal(modelAllowed(undefined, 'anything'), true);
  assert.equal(modelAllowed(key(), 'anything'), true);
  assert.equal(modelAllowed(key(['fast', 'local/qwen2.5']), 'fast'), true);
  assert.equal(modelAllowed(key(['fast', 'local/qwen2.5']), 'local/qwen2.5'), true);
  assert.equal(modelAllowed(key(['fast']), 'faster'), false);
});

test('* matches any run of characters, and nothing else is special', () => {
  const k = key(['gpt-*', 'openrouter/*', 'a.b']);
  assert.equal(modelAllowed(k, 'gpt-4.1'), true);
  assert.equal(modelAllowed(k, 'gpt-'), true);
  assert.equal(modelAllowed(k, 'openrouter/anthropic/claude-sonnet-4.5'), true);
  assert.equal(modelAllowed(k, 'claude'), false);
  assert.equal(modelAllowed(k, 'xgpt-4'), false);
  assert.equal(modelAllowed(k, 'aXb'), false, 'a dot is literal');
});
