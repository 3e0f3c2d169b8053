// An unknown model's 404 says how to reach a provider's model directly when a real provider is
// configured: zero-config with OPENAI_API_KEY set maps no model "gpt-4.1", only openai/gpt-4.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { zeroConfig } from '../../src/config/zero-config.ts';
import { createRouter } from '../../src/router/index.ts';
import { GatewayError } from '../../src/core/errors.ts';

function notFound(plan: () => unknown): GatewayError {
  try {
    plan();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'model_not_found');
    return err;
  }
  assert.fail('expected model_not_found');
}

test('zero-config with a provider key: the 404 names provider/model', () => {
  const router = createRouter(zeroConfig({ OPENAI_API_KEY: 'sk-test' }));
  const err = notFound(() => router.plan('gpt-4.1'));
  assert.match(err.message, /^model "gpt-4\.1" is not configured on this gateway; ask for PROVIDER\/MODEL .*\(e\.g\. openai\/gpt-4\.1\)$/);
  assert.doesNotMatch(err.message, /sk-test/);
  assert.ok(router.plan('openai/gpt-4.1'), 'provider/model routes');
});

test('no hint with only the demo provider, nor for a provider/model name', () => {
  assert.equal(notFound(() => createRouter(zeroConfig({})).plan('gpt-4.1')).message, 'model "gpt-4.1" is not configured on this gateway');
  const config = parseConfig('providers:\n  local: { type: openai, base_url: "http://127.0.0.1:9/v1" }\n', { env: {} });
  assert.equal(notFound(() => createRouter(config).plan('nope/x')).message, 'model "nope/x" is not configured on this gateway');
});
