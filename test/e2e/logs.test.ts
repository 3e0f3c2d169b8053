// SPEC §5: one JSON log line per request with the listed fields; --tap N logs raw upstream lines;
// keys and secrets never appear in any output of the process.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const CLIENT_KEY = 'sk-client-0123456789abcdefSECRET';
const UPSTREAM_KEY = 'sk-upstream-9876543210zyxwvuSECRET';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  mock: { type: openai, base_url: ${mock.url}/v1, api_key: "\${UPSTREAM_KEY}" }
models:
  m: { targets: [{ provider: mock, model: x }] }
auth:
  keys:
    - { name: ci, key: "\${CLIENT_KEY}" }
retries: { attempts: 0 }
`,
    env: { UPSTREAM_KEY, CLIENT_KEY },
    args: ['--tap', '3'],
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

test('one JSON line per request with the SPEC §5 fields, taps, and no secret anywhere', async () => {
  const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
  // A streamed success, a non-streamed success, an upstream error, a rejected key.
  const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock chunks=5]]' }] });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.equal(text, mockText(5).join(''));
  await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  await assert.rejects(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x [[mock fault=status status=500]]' }] }));
  const wrong = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: `${CLIENT_KEY}-wrong`, maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => (e as { status?: number }).status === 401);
  // The upstream must have received sluice's key, not the client's.
  assert.equal(mock.requests[0]!.headers.authorization, `Bearer ${UPSTREAM_KEY}`);

  await sluice.waitForRecord((r) => r.status === 401);
  const records = sluice.records();
  assert.equal(records.length, 4, 'one line per request');
  for (const r of records) {
    for (const field of ['request_id', 'key_name', 'front', 'model', 'target', 'attempts', 'status', 'ttfe_ms', 'total_ms', 'events', 'tokens_in', 'tokens_out', 'error']) {
      assert.ok(field in r, `field ${field} in ${JSON.stringify(r)}`);
    }
  }
  const streamed = records.find((r) => r.stream === true)!;
  assert.equal(streamed.key_name, 'ci');
  assert.equal(streamed.front, 'openai');
  assert.equal(streamed.target, 'mock/x');
  assert.equal(streamed.status, 200);
  assert.equal(streamed.end_reason, 'completed');
  assert.ok((streamed.events as number) > 5);
  assert.ok((streamed.tokens_out as number) > 0);
  assert.equal(typeof streamed.ttfe_ms, 'number');
  const failed = records.find((r) => r.status === 502)!;
  assert.equal(failed.error, 'upstream_error');
  assert.equal(records.find((r) => r.status === 401)!.key_name, null);

  // --tap 3: the first three raw upstream lines of the streamed request are logged.
  const taps = sluice.stdout.filter((l) => l.includes('"upstream_line"'));
  assert.ok(taps.length >= 3, `tap lines: ${taps.length}`);
  assert.ok(taps.every((l) => JSON.parse(l).request_id));

  const everything = sluice.stdout.join('\n') + sluice.stderr.join('\n');
  assert.ok(!everything.includes(CLIENT_KEY), 'client key never logged');
  assert.ok(!everything.includes(UPSTREAM_KEY), 'upstream key never logged');
  assert.ok(!everything.includes('SECRET'), 'no part of a secret logged');
  for (const line of sluice.stdout) assert.doesNotThrow(() => JSON.parse(line), `stdout is JSON lines: ${line}`);
});
