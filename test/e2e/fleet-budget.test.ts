// SPEC §12 "budgets hold across instances": two sluice processes sharing a real redis-server hold one
// budget. Requests alternate between them; the one that crosses the budget is on either instance,
// and from then on both refuse (per-instance counters would let each spend the whole budget). The
// shared counter holds exactly the sum of the logged costs, in nano-dollars. Skips without
// redis-server (SPEC §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startRedis, type RedisProcess } from '../helpers/redis.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const KEY = 'sk-client-shared-0123456789abcdef';

let redis: RedisProcess | undefined;
let mock: MockServer;
let one: SluiceProcess;
let two: SluiceProcess;
/** Cost of one request (the mock's answer is deterministic); the budget is 2.5 of them. */
let unit = 0;

before(async () => {
  redis = await startRedis();
  if (!redis) return;
  mock = await startMock({ port: 0 });
  const base = (budget: string): string => `
providers:
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-up }
models:
  sonnet: { targets: [{ provider: claude, model: claude-sonnet-4-5-20250929 }] }
auth:
  keys:
    - { name: shared, key: "${KEY}"${budget} }
retries: { attempts: 0 }
redis: ${redis!.url}
`;
  // Learn the cost of one request from a gateway without a budget (and without Redis' counters).
  const probe = await startSluice({ config: base('') });
  await ask(probe);
  unit = (await probe.waitForRecord((r) => r.status === 200)).cost_usd as number;
  await probe.stop();
  assert.ok(unit > 0);
  const config = base(`, budget: { usd: ${unit * 2.5}, per: day }`);
  [one, two] = await Promise.all([startSluice({ config }), startSluice({ config })]);
});

after(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await mock?.close();
  await redis?.stop();
});

function ask(s: SluiceProcess): Promise<Response> {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'same question' }] }),
  });
}

describe('one budget across two instances sharing Redis', () => {
  test('alternating requests: the third crosses it, then both instances refuse', async (t) => {
    if (!redis) return t.skip('no redis-server');
    const served = (s: SluiceProcess): Array<Record<string, unknown>> => s.records().filter((r) => r.status === 200);
    for (const [i, s] of [one, two, one].entries()) {
      const before = served(s).length;
      const res = await ask(s);
      assert.equal(res.status, 200, `request ${i + 1}`);
      await res.text();
      // Spend is counted when the request ends, right after its log line.
      await s.waitForRecord(() => served(s).length > before);
      assert.equal(served(s).at(-1)!.cost_usd, unit);
    }
    for (const s of [two, one]) {
      const res = await ask(s);
      assert.equal(res.status, 429);
      const body = (await res.json()) as { error: { type: string; message: string } };
      assert.equal(body.error.type, 'budget_exceeded');
      assert.match(body.error.message, /per day; it resets at \d{4}-\d{2}-\d{2}T00:00:00Z$/);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
    }
    // The shared counter is the exact sum of the three costs, in nano-dollars.
    const client = new Redis(redis.url);
    try {
      const day = new Date().toISOString().slice(0, 10);
      const value = await client.get(`sluice:c:budget:config:shared:day:${day}`);
      assert.equal(Number(value), 3 * Math.round(unit * 1e9));
    } finally {
      client.disconnect();
    }
  });
});
