// Issue 12 §4: Anthropic cache breakpoints carried to Gemini as explicit context caches where the
// provider has `context_cache:` (docs/protocols/gemini.md §9). Claude Code-shaped requests (system
// blocks with cache_control, tools, several turns) go through sluice with the Anthropic SDK to
// `sluice mock`'s Gemini and Vertex dialects, which keep the cachedContents resources: one creation per
// prefix, reuse, a new one for a changed prefix, the client's cache_read_input_tokens from Gemini's
// cachedContentTokenCount, lifetimes on a manual clock (refresh from half-life, expiry), refusals and
// a vanished cache falling back without a failed request, and nothing created without the option.
// The gateway runs in-process (its clock injected) behind a real HTTP port; the mock runs on the same
// clock.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { RequestRecord } from '../../src/gateway/pipeline.ts';
import { startMock, type MockServer, type MockRequestRecord } from '../../src/mock/server.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';
import { mockTokenCount } from '../../src/protocols/gemini/mock-cache.ts';

const MINUTE = 60_000;
const EMAIL = 'cache-test@test-project.iam.gserviceaccount.com';
/** Claude Code's long system prompt: well above the 1024-token minimum of the mock (and of Gemini Flash). */
const INSTRUCTIONS = Array.from({ length: 80 }, (_, i) => `Rule ${i}: keep answers short, cite files by path, and never invent tool output.`).join('\n');

const clock = new ManualClock();
const wall0 = Date.now();
const tokens = new MockTokenService({ lifetimeS: 3600, now: () => wall0 + clock.now() });
let mock: MockServer;
let app: App;
let url: string;
let dir: string;
const logs: Array<Record<string, unknown>> = [];
const records: RequestRecord[] = [];
let client: Anthropic;

before(async () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  tokens.addServiceAccount(EMAIL, key.publicKey);
  mock = await startMock({ now: () => wall0 + clock.now(), dialectOptions: { vertex: { tokens } } });
  dir = mkdtempSync(join(tmpdir(), 'sluice-gcache-'));
  const sa = join(dir, 'sa.json');
  writeFileSync(sa, JSON.stringify({ type: 'service_account', private_key: key.privateKey, client_email: EMAIL, token_uri: `${mock.url}/token` }));
  const config = parseConfig(
    `
providers:
  cached: { type: gemini, base_url: "${mock.url}", api_key: k-gemini, context_cache: { enabled: true, ttl: 5m, min_tokens: 1024 } }
  plain: { type: gemini, base_url: "${mock.url}", api_key: k-gemini }
  eager: { type: gemini, base_url: "${mock.url}", api_key: k-gemini, context_cache: { min_tokens: 0 } }
  picky: { type: gemini, base_url: "${mock.url}", api_key: k-gemini, context_cache: { min_tokens: 1000000 } }
  vx: { type: vertex, base_url: "${mock.url}", project: p, region: us-east5, credentials: "${sa}", context_cache: { ttl: 10m } }
models:
  cached: { targets: [{ provider: cached, model: gemini-2.5-flash }] }
  plain: { targets: [{ provider: plain, model: gemini-2.5-flash }] }
  eager: { targets: [{ provider: eager, model: gemini-2.5-flash }] }
  picky: { targets: [{ provider: picky, model: gemini-2.5-flash }] }
  vertex: { targets: [{ provider: vx, model: gemini-2.5-flash }] }
retries: { attempts: 1, backoff: 100ms }
`,
    { env: {} },
  );
  app = createApp(config, {
    env: { clock },
    log: (fields, message) => logs.push({ ...fields, msg: message }),
    hooks: { onRecord: (r) => records.push(r) },
  });
  const address = await app.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${address.port}`;
  client = new Anthropic({ baseURL: url, apiKey: 'x', maxRetries: 0 });
});
after(async () => {
  await app?.close();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.reset();
  logs.length = 0;
});

type Body = Anthropic.MessageCreateParamsNonStreaming;

/**
 * A Claude Code turn: billing header, two cached system blocks, three tools, a tool round trip, and a
 * breakpoint on the last answer, so the prefix the request writes is one it can use itself (the
 * request sends only the newest message). Claude Code's own marking of the newest messages, whose
 * prefix serves the next step, is gemini-context-cache-steps.test.ts.
 */
function claudeCodeBody(model: string, opts: { instructions?: string; earlier?: string; ttl?: '5m' | '1h'; last?: string } = {}): Body {
  const cc = opts.ttl === undefined ? { type: 'ephemeral' as const } : { type: 'ephemeral' as const, ttl: opts.ttl };
  return {
    model,
    max_tokens: 4096,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.0; cc_entrypoint=cli' },
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: cc },
      { type: 'text', text: opts.instructions ?? INSTRUCTIONS, cache_control: cc },
    ],
    tools: [
      { name: 'Bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
      { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
      { name: 'Edit', description: 'Edit a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } } } },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>The date is 2030-01-01.</system-reminder>' }, { type: 'text', text: 'List the files here.' }] },
      { role: 'assistant', content: [{ type: 'text', text: opts.earlier ?? 'I will list them.' }, { type: 'tool_use', id: 'toolu_01A', name: 'Bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'a.txt\nb.txt' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'There are two files, a.txt and b.txt.', cache_control: cc }] },
      { role: 'user', content: [{ type: 'text', text: `${opts.last ?? 'Now read a.txt.'} [[mock chunks=3]]` }] },
    ],
  };
}

const creations = (): MockRequestRecord[] => mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cachedContents'));
const refreshes = (): MockRequestRecord[] => mock.requests.filter((r) => r.method === 'PATCH');
const generations = (): Array<Record<string, unknown>> =>
  mock.requests.filter((r) => /:(?:stream)?[gG]enerateContent/.test(r.path)).map((r) => r.body as Record<string, unknown>);
const createdBody = (r: MockRequestRecord): Record<string, unknown> => JSON.parse(r.body as string) as Record<string, unknown>;
/** The mock's token count of a resource, as it reports it in cachedContentTokenCount. */
const cachedTokensOf = (body: Record<string, unknown>): number => mockTokenCount([body.systemInstruction, body.contents, body.tools]);
const linesSaying = (text: string): Array<Record<string, unknown>> => logs.filter((l) => String(l.msg).includes(text));

/**
 * A request whose retry waits its backoff on the gateway's clock: the clock is moved 10 ms a turn
 * (at most 2 s) until the answer is in. Never a real sleep.
 */
async function withClockRunning<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const settled = work.finally(() => (done = true));
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(10);
  }
  return settled;
}

describe('Anthropic cache breakpoints to a Gemini provider with context_cache', () => {
  test('the first request creates one cache (signed with the provider key) and uses it; the client reads cache_read_input_tokens', async () => {
    const answer = await client.messages.create(claudeCodeBody('cached'));
    assert.equal(creations().length, 1);
    const create = creations()[0]!;
    assert.equal(create.headers['x-goog-api-key'], 'k-gemini', 'the provider auth signs the creation');
    assert.match(create.path, /\/v1beta\/cachedContents$/);
    const body = createdBody(create);
    assert.equal(body.model, 'models/gemini-2.5-flash');
    assert.equal(body.ttl, '300s');
    assert.match(JSON.stringify(body.systemInstruction), /You are Claude Code[\s\S]*Rule 79/);
    assert.equal((body.tools as Array<{ functionDeclarations: unknown[] }>)[0]!.functionDeclarations.length, 3);
    // Everything before the newest message: user, model (call), user (result), model.
    assert.deepEqual((body.contents as Array<{ role: string }>).map((c) => c.role), ['user', 'model', 'user', 'model']);

    const [sent] = generations();
    assert.match(String(sent!.cachedContent), /^cachedContents\/[0-9a-f]{40}$/);
    assert.equal(sent!.systemInstruction, undefined);
    assert.equal(sent!.tools, undefined);
    assert.equal(sent!.toolConfig, undefined);
    assert.equal((sent!.contents as unknown[]).length, 1, 'only the newest message goes with the request');
    assert.ok(sent!.generationConfig, 'generation settings stay on the request');

    const cached = cachedTokensOf(body);
    assert.ok(cached >= 1024);
    assert.equal(answer.usage.cache_read_input_tokens, cached);
    assert.equal(answer.usage.input_tokens, 10 + 1, 'the uncached part: the mock counts 10 + one content');
    // The request record (log line, store, metrics) has the same numbers.
    const record = records.at(-1)!;
    assert.equal(record.usage?.cacheReadTokens, cached);
    assert.equal(record.usage?.inputTokens, 10 + 1 + cached);
    assert.equal(answer.content[0]?.type, 'text');
    const created = linesSaying('context cache: created');
    assert.equal(created.length, 1);
    assert.equal(created[0]!.tokens, cached);
    assert.doesNotMatch(JSON.stringify(logs), /k-gemini/);
  });

  test('the same prefix again reuses the cache (streamed this time); a changed prefix makes a new one', async () => {
    const stream = client.messages.stream({ ...claudeCodeBody('cached'), stream: true } as Anthropic.MessageStreamParams);
    const message = await stream.finalMessage();
    assert.equal(creations().length, 0, 'reused: no creation');
    const [sent] = generations();
    assert.match(String(sent!.cachedContent), /^cachedContents\//);
    assert.ok((message.usage.cache_read_input_tokens ?? 0) >= 1024);

    // A new turn of the same conversation: the breakpoint moved, so the prefix differs.
    await client.messages.create(claudeCodeBody('cached', { earlier: 'Let me look.' }));
    assert.equal(creations().length, 1);
    const names = generations().map((g) => g.cachedContent);
    assert.notEqual(names[0], names[1]);
    // And the first prefix is still reused.
    await client.messages.create(claudeCodeBody('cached', { last: 'Now read b.txt.' }));
    assert.equal(creations().length, 1);
    assert.equal(generations()[2]!.cachedContent, names[0]);
  });

  test("a breakpoint's ttl (1h) is the cache's lifetime", async () => {
    await client.messages.create(claudeCodeBody('cached', { ttl: '1h', instructions: `${INSTRUCTIONS}\nOne hour.` }));
    assert.equal(createdBody(creations()[0]!).ttl, '3600s');
  });

  test('lifetime on the manual clock: refreshed from half-life while in use, made anew after it expired unused', async () => {
    const body = claudeCodeBody('cached', { instructions: `${INSTRUCTIONS}\nLifetime test.` });
    await client.messages.create(body);
    assert.equal(creations().length, 1);
    const name = generations()[0]!.cachedContent;

    clock.advance(2 * MINUTE);
    await client.messages.create(body);
    assert.equal(refreshes().length, 0, 'not before half its life');

    clock.advance(1 * MINUTE); // minute 3 of 5
    await client.messages.create(body);
    const patch = await mock.waitFor((r) => r.method === 'PATCH' && r.outcome !== undefined, 5000);
    assert.equal(patch.path, `/v1beta/${String(name)}`);
    assert.equal(patch.headers['x-goog-api-key'], 'k-gemini');
    assert.deepEqual(JSON.parse(patch.body as string), { ttl: '300s' });

    clock.advance(4 * MINUTE); // minute 7: alive only because it was extended at minute 3
    await client.messages.create(body);
    assert.equal(creations().length, 1);
    assert.equal(generations().at(-1)!.cachedContent, name);
    await mock.waitFor((r) => r.method === 'PATCH' && r.outcome !== undefined && refreshes().length === 2, 5000);

    clock.advance(20 * MINUTE); // unused past its (extended) expiry
    const answer = await client.messages.create(body);
    assert.equal(creations().length, 2, 'expired: made anew');
    assert.notEqual(generations().at(-1)!.cachedContent, name);
    assert.ok((answer.usage.cache_read_input_tokens ?? 0) >= 1024);
    assert.equal(mock.requests.filter((r) => r.outcome === 'refused').length, 0, 'no request named an expired cache');
  });

  test('a cache deleted behind sluice\'s back: the 403 drops it and the retry makes a new one', async () => {
    const body = claudeCodeBody('cached', { instructions: `${INSTRUCTIONS}\nVanishing.` });
    await client.messages.create(body);
    const name = String(generations()[0]!.cachedContent);
    const del = await fetch(`${mock.url}/v1beta/${name}`, { method: 'DELETE', headers: { 'x-goog-api-key': 'k' } });
    assert.equal(del.status, 200);
    const answer = await withClockRunning(client.messages.create(body));
    assert.equal(answer.content[0]?.type, 'text');
    const refused = mock.requests.filter((r) => r.outcome === 'refused');
    assert.equal(refused.length, 1, 'the stale name was sent once');
    assert.equal(creations().length, 2);
    assert.notEqual(generations().at(-1)!.cachedContent, name);
    assert.equal(records.at(-1)!.status, 200);
  });

  test('a refused creation (below Gemini\'s minimum) falls back to the whole request, asked once per prefix, logged once', async () => {
    const small = claudeCodeBody('eager', { instructions: 'Be brief.' });
    const a = await client.messages.create(small);
    const b = await client.messages.create(small);
    assert.equal(a.content[0]?.type, 'text');
    assert.equal(b.content[0]?.type, 'text');
    assert.equal(creations().length, 1, 'not asked again for the same prefix');
    for (const sent of generations()) {
      assert.equal(sent.cachedContent, undefined);
      assert.ok(sent.systemInstruction, 'uncached: the whole request');
      assert.ok(sent.tools);
      assert.equal((sent.contents as unknown[]).length, 5);
    }
    assert.equal(a.usage.cache_read_input_tokens ?? 0, 0);
    const refused = linesSaying('creation refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.status, 400);
    assert.match(String(refused[0]!.error), /Cached content is too small/);
  });

  test('a prefix estimated below min_tokens is sent uncached without asking Google', async () => {
    const answer = await client.messages.create(claudeCodeBody('picky'));
    await client.messages.create(claudeCodeBody('picky'));
    assert.equal(answer.content[0]?.type, 'text');
    assert.equal(creations().length, 0);
    assert.ok(generations().every((g) => g.cachedContent === undefined && g.systemInstruction !== undefined));
    assert.equal(linesSaying('below min_tokens').length, 1);
  });

  test('without context_cache nothing is created and the breakpoints are dropped', async () => {
    const answer = await client.messages.create(claudeCodeBody('plain'));
    assert.equal(creations().length, 0);
    const [sent] = generations();
    assert.equal(sent!.cachedContent, undefined);
    assert.ok(sent!.systemInstruction);
    assert.doesNotMatch(JSON.stringify(sent), /cache_control|cacheControl/);
    assert.equal(answer.usage.cache_read_input_tokens ?? 0, 0);
  });

  test('requests without breakpoints go as they are', async () => {
    await client.messages.create({ model: 'cached', max_tokens: 100, system: INSTRUCTIONS, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(creations().length, 0);
    assert.ok(generations()[0]!.systemInstruction);
  });

  test('Vertex: the cache lives in the project location, signed with the OAuth token, named by its full resource name', async () => {
    const answer = await client.messages.create(claudeCodeBody('vertex'));
    assert.equal(creations().length, 1);
    const create = creations()[0]!;
    assert.match(create.path, /^\/v1beta1\/projects\/p\/locations\/us-east5\/cachedContents$/);
    assert.match(String(create.headers.authorization), /^Bearer /);
    const body = createdBody(create);
    assert.equal(body.model, 'projects/p/locations/us-east5/publishers/google/models/gemini-2.5-flash');
    assert.equal(body.ttl, '600s');
    const [sent] = generations();
    assert.match(String(sent!.cachedContent), /^projects\/p\/locations\/us-east5\/cachedContents\/[0-9a-f]{40}$/);
    assert.equal(answer.usage.cache_read_input_tokens, cachedTokensOf(body));
    await client.messages.create(claudeCodeBody('vertex'));
    assert.equal(creations().length, 1, 'reused');
  });
});
