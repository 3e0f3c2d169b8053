// Per-key limits with an injected clock (SPEC §6): requests per minute over a sliding window, tokens
// per minute recorded after each request, concurrent requests; refusals are 429 rate_limited with a
// retry-after that is actually enough.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { createAdmission } from '../../src/limits/index.ts';
import type { ClientKey } from '../../src/server/auth.ts';
import { MemoryState } from '../../src/state/memory.ts';

function setup(start = 0) {
  let t = start;
  const state = new MemoryState(() => t);
  return { admission: createAdmission(state), advance: (ms: number) => (t += ms), state };
}

const key = (limits: Partial<ClientKey>): ClientKey => ({ name: 'k', source: 'store', ...limits });

async function refused(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.status, 429);
    return err;
  }
  assert.fail('expected a 429');
}

describe('requests per minute', () => {
  test('N pass, the next is refused with a retry-after that suffices', async () => {
    const { admission, advance } = setup(10_000);
    const k = key({ rpm: 5 });
    for (let i = 0; i < 5; i++) (await admission.admit(k, 'm', true))();
    const err = await refused(admission.admit(k, 'm', true));
    // A sliding-window counter forgets the previous window gradually: the wait may pass one window.
    assert.ok(err.retryAfterMs! >= 1000 && err.retryAfterMs! < 120_000, String(err.retryAfterMs));
    advance(err.retryAfterMs! - 1000);
    await refused(admission.admit(k, 'm', true));
    advance(1000);
    (await admission.admit(k, 'm', true))();
  });

  test('no double burst across a window boundary (sliding window)', async () => {
    const { admission, advance } = setup(60_000 - 100);
    const k = key({ rpm: 5 });
    for (let i = 0; i < 5; i++) await admission.admit(k, 'm', false);
    advance(200); // now 100 ms into the next fixed window
    await refused(admission.admit(k, 'm', false));
    advance(60_000);
    await admission.admit(k, 'm', false);
  });

  test('keys count separately; static and stored keys of one name too', async () => {
    const { admission } = setup();
    await admission.admit(key({ rpm: 1, name: 'a' }), 'm', false);
    await admission.admit(key({ rpm: 1, name: 'b' }), 'm', false);
    await admission.admit(key({ rpm: 1, name: 'a', source: 'config' }), 'm', false);
    await refused(admission.admit(key({ rpm: 1, name: 'a' }), 'm', false));
  });
});

describe('tokens per minute', () => {
  test('tokens recorded after requests close the minute until they slide out', async () => {
    const { admission, advance } = setup(0);
    const k = key({ tpm: 1000 });
    (await admission.admit(k, 'm', true))();
    admission.recordTokens!(k, 600);
    await new Promise((r) => setImmediate(r));
    (await admission.admit(k, 'm', true))();
    admission.recordTokens!(k, 600);
    await new Promise((r) => setImmediate(r));
    const err = await refused(admission.admit(k, 'm', true));
    assert.match(err.message, /1000 tokens per minute/);
    advance(err.retryAfterMs!);
    await admission.admit(k, 'm', true);
  });
});

describe('concurrency', () => {
  test('N in flight, the next refused until one ends', async () => {
    const { admission } = setup();
    const k = key({ concurrency: 2 });
    const r1 = await admission.admit(k, 'm', true);
    const r2 = await admission.admit(k, 'm', false);
    const err = await refused(admission.admit(k, 'm', true));
    assert.equal(err.retryAfterMs, 1000);
    r1();
    r1(); // idempotent: must not free a second slot
    const r3 = await admission.admit(k, 'm', true);
    await refused(admission.admit(k, 'm', true));
    r2();
    r3();
  });

  test('a request refused by rpm gives its concurrency slot back', async () => {
    const { admission, state } = setup();
    const k = key({ concurrency: 1, rpm: 1 });
    (await admission.admit(k, 'm', true))();
    await refused(admission.admit(k, 'm', true)); // took the slot, then hit the rpm limit
    const lease = await state.acquire('conc:store:k', 1, 1000);
    assert.ok(lease, 'the slot is free');
    lease.release();
  });

});

test('keys without limits (and the open gateway) never touch the state', async () => {
  const state = new MemoryState();
  let calls = 0;
  for (const m of ['consume', 'peek', 'acquire', 'add'] as const) {
    const orig = state[m].bind(state) as (...a: unknown[]) => Promise<unknown>;
    (state as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      calls++;
      return orig(...a);
    };
  }
  const admission = createAdmission(state);
  (await admission.admit(undefined, 'm', true))();
  (await admission.admit(key({}), 'm', true))();
  admission.recordTokens!(key({}), 100);
  assert.equal(calls, 0);
});
