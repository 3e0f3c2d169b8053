// Upstreams are made once per configured provider and closed at shutdown (gateway/upstreams.ts):
// their background work (token refreshes, cache creations) must not outlive the gateway.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { closeUpstreams, upstreamOf } from '../../src/gateway/upstreams.ts';
import { ManualClock } from '../../src/gateway/clock.ts';

test('one upstream per provider, shared by retry copies; closed once at shutdown, then made anew', async () => {
  const config = parseConfig('providers:\n  g: { type: gemini, api_key: k }\n', { env: {} });
  const provider = config.providers.g!;
  const env = { clock: new ManualClock() };
  const first = upstreamOf(provider, env);
  assert.equal(upstreamOf(provider, env), first);
  assert.equal(upstreamOf({ ...provider, origin: provider }, env), first, "a retry's clamped copy shares it");
  let closed = 0;
  assert.equal(first.kind, 'http');
  (first as { close?: () => Promise<void> }).close = async () => {
    closed++;
  };
  await closeUpstreams(Object.values(config.providers));
  await closeUpstreams(Object.values(config.providers));
  assert.equal(closed, 1);
  assert.notEqual(upstreamOf(provider, env), first);
});
