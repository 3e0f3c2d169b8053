// Issue 4 acceptance with real Redis: two sluice processes with the same config share one rpm limit,
// one concurrency limit and their circuit states; killing Redis leaves both serving (with one warning
// each), and they log once when it is back. Run against one redis-server (fleet-redis.test.ts) and a
// 3-node Redis Cluster (fleet-redis-cluster.test.ts, issue 14). Skips without Redis (SPEC §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import type { RedisProcess } from '../helpers/redis.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

export function fleetSuite(label: string, startRedis: () => Promise<RedisProcess | undefined>): void {

  const RPM = 6;
  const secret = (): string => `sk-sluice-${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x').slice(0, 32)}`;
  const LIMITED = secret();
  const FREE = secret();
  const SINGLE = secret();
  const ROOMY = secret();

  let redis: RedisProcess | undefined;
  let mock: MockServer;
  let one: SluiceProcess;
  let two: SluiceProcess;

  before(async () => {
    redis = await startRedis();
    if (!redis) return;
    mock = await startMock({ port: 0 });
    const config = `
  providers:
    good:
      type: openai
      base_url: ${mock.url}/v1
      api_key: sk-upstream-test
    flaky:
      type: openai
      base_url: "${mock.url}/_mock/fault=status;status=500/v1"
      api_key: sk-upstream-test
  models:
    m:
      targets: [{ provider: good, model: m-good }]
    slow:
      targets: [{ provider: good, model: m-slow }]
    shared-breaker:
      strategy: fallback
      targets: [{ provider: flaky, model: m-flaky }, { provider: good, model: m-good-2 }]
  auth:
    keys:
      - { name: limited, key: "${LIMITED}", rpm: ${RPM} }
      - { name: free, key: "${FREE}" }
      - { name: single, key: "${SINGLE}", concurrency: 1 }
      - { name: roomy, key: "${ROOMY}", rpm: 1000 }
  retries: { attempts: 1, backoff: 10ms }
  breaker: { failure_threshold: 5, cooldown: 30s }
  redis: ${redis.url}
  `;
    [one, two] = await Promise.all([startSluice({ config }), startSluice({ config })]);
  });

  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await mock?.close();
    await redis?.stop();
  });

  function ask(sluice: SluiceProcess, key: string, model = 'm', prompt = 'hi'): Promise<Response> {
    return fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] }),
    });
  }

  function upstream(model: string): number {
    return mock.requests.filter((r) => (r.body as { model?: string } | undefined)?.model === model).length;
  }

  function logged(s: SluiceProcess, pattern: RegExp): string[] {
    return s.stdout.filter((l) => pattern.test(l));
  }

  async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  describe(`two instances sharing ${label}`, () => {
    test('share one rpm limit', async (t) => {
      if (!redis) return t.skip('redis not installed');
      const statuses: number[] = [];
      const perInstance = [0, 0];
      for (let i = 0; i < 2 * RPM + 2; i++) {
        const res = await ask(i % 2 === 0 ? one : two, LIMITED);
        statuses.push(res.status);
        if (res.status === 200) perInstance[i % 2]!++;
        else {
          assert.equal(res.status, 429);
          assert.ok(Number(res.headers.get('retry-after')) >= 1, 'retry-after in seconds');
        }
        await res.arrayBuffer();
      }
      const accepted = statuses.filter((s) => s === 200).length;
      assert.ok(accepted <= RPM, `accepted ${accepted} of ${statuses.length} with rpm ${RPM}: ${statuses}`);
      assert.equal(accepted, RPM, `the limit is reached, not undercut: ${statuses}`);
      assert.ok(perInstance[0]! > 0 && perInstance[1]! > 0, `both instances served: ${perInstance}`);
    });

    test('share a concurrency limit', async (t) => {
      if (!redis) return t.skip('redis not installed');
      // A slow answer on instance one holds the key's single slot…
      const slow = ask(one, SINGLE, 'slow', 'hi [[mock delay=60]]');
      await until('the slow request upstream', () => upstream('m-slow') > 0);
      // …so instance two refuses the same key meanwhile.
      const refused = await ask(two, SINGLE);
      assert.equal(refused.status, 429);
      await refused.arrayBuffer();
      const first = await slow;
      assert.equal(first.status, 200);
      await first.arrayBuffer();
      // The slot is released when the first request's handling ends, which is a Redis round trip
      // after its last byte reached the client: the next request may come a moment too early.
      let after = await ask(two, SINGLE);
      for (let i = 0; i < 20 && after.status === 429; i++) {
        await after.arrayBuffer();
        await new Promise((r) => setTimeout(r, 25));
        after = await ask(two, SINGLE);
      }
      assert.equal(after.status, 200, 'the slot was released within half a second');
      await after.arrayBuffer();
    });

    test('share circuit states', async (t) => {
      if (!redis) return t.skip('redis not installed');
      for (let i = 0; i < 5; i++) {
        const res = await ask(one, FREE, 'shared-breaker');
        assert.equal(res.status, 200, 'failed over to the good target');
        await res.arrayBuffer();
      }
      assert.equal(upstream('m-flaky'), 5);
      // Instance two has never seen the target fail; within a poll it learns the circuit is open.
      await new Promise((r) => setTimeout(r, 800));
      for (let i = 0; i < 3; i++) {
        const res = await ask(two, FREE, 'shared-breaker');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      assert.equal(upstream('m-flaky'), 5, 'instance two skipped the open target');
    });

    test('killing Redis leaves both serving, with one warning each; one info line when it is back', async (t) => {
      if (!redis) return t.skip('redis not installed');
      await redis.kill();
      const started = Date.now();
      for (let i = 0; i < 6; i++) {
        for (const s of [one, two]) {
          for (const key of [FREE, LIMITED, SINGLE]) {
            const res = await ask(s, key);
            // The limited key's shared minute is spent, but limits are per instance now: fresh counters.
            assert.equal(res.status, 200, `request ${i} on ${s.url} with ${key === FREE ? 'free' : 'a limited'} key`);
            await res.arrayBuffer();
          }
        }
      }
      assert.ok(Date.now() - started < 5000, 'a dead Redis does not slow requests down');
      for (const s of [one, two]) {
        await until('the warning', () => logged(s, /redis unreachable/).length > 0);
        const warnings = logged(s, /redis unreachable/);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.equal(JSON.parse(warnings[0]!).level, 'warn');
      }

      await redis.restart();
      for (const s of [one, two]) await until('the recovery line', () => logged(s, /redis reachable again/).length === 1, 8000);
      const res = await ask(one, FREE);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });

    test('a Redis that hangs costs a request at most one command timeout, then is bypassed', async (t) => {
      if (!redis) return t.skip('redis not installed');
      const warningsBefore = logged(one, /redis unreachable/).length;
      redis.pause();
      try {
        for (let i = 0; i < 4; i++) {
          const started = Date.now();
          const res = await ask(one, ROOMY);
          assert.equal(res.status, 200);
          await res.arrayBuffer();
          assert.ok(Date.now() - started < 1500, `request ${i} took ${Date.now() - started} ms`);
        }
        assert.equal(logged(one, /redis unreachable/).length, warningsBefore + 1, 'one warning for the hang');
      } finally {
        redis.resume();
      }
      // Once the quiet period is over the next request finds Redis answering again.
      const recovered = logged(one, /redis reachable again/).length;
      await new Promise((r) => setTimeout(r, 2100));
      const res = await ask(one, ROOMY);
      await res.arrayBuffer();
      await until('the recovery line', () => logged(one, /redis reachable again/).length === recovered + 1);
    });

    test('the keys never appear in logs or metrics', async (t) => {
      if (!redis) return t.skip('redis not installed');
      for (const s of [one, two]) {
        const metrics = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${FREE}` } });
        const text = await metrics.text();
        const output = [...s.stdout, ...s.stderr, metrics.status === 200 ? text : ''].join('\n');
        assert.ok(s.stdout.length > 10, 'there are logs to search');
        for (const key of [LIMITED, FREE, SINGLE, ROOMY]) {
          assert.equal(output.includes(key), false, 'a secret in the output');
          assert.equal(output.includes(key.slice(10)), false, 'a secret body in the output');
        }
      }
    });
  });
}
