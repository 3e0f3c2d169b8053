// The Gemini context cache's prepare step (src/protocols/gemini/cache-prepare.ts) with Anthropic's
// breakpoint semantics: the longest cached prefix at or before the last breakpoint is read; the last
// breakpoint's prefix is written — waited for when the request can use it and nothing is cached, in
// the background otherwise; system texts after the cached prefix travel as delimited user text and
// never change a key. No HTTP: the provider's calls are a fake Google that records creations and
// answers them when the test says.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UpstreamCalls, UpstreamEndpoint, UpstreamHttpRequest, UpstreamReply } from '../../../src/core/protocol.ts';
import type { ChatRequest, Message } from '../../../src/core/request.ts';
import { withContextCache, type CacheResources } from '../../../src/protocols/gemini/cache-prepare.ts';
import { geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import type { GeminiContent, GeminiRequest } from '../../../src/protocols/gemini/wire.ts';

const MIN = 60_000;
const CC = { type: 'ephemeral' as const };
const endpoint: UpstreamEndpoint = { name: 'g', baseUrl: 'http://gemini.test', headers: {}, quirks: {} };
const resources: CacheResources = {
  modelName: (m) => `models/${m}`,
  collectionUrl: () => 'http://gemini.test/v1beta/cachedContents',
  resourceUrl: (name) => `http://gemini.test/v1beta/${name}`,
};

interface Creation {
  body: Record<string, unknown>;
  signal: AbortSignal | undefined;
  answer(): void;
}

function harness() {
  const now = { t: 1_800_000_000_000 };
  const logs: Array<Record<string, unknown>> = [];
  const creations: Creation[] = [];
  let made = 0;
  const codec = withContextCache(geminiUpstream, resources, { enabled: true, ttlMs: 5 * MIN, minTokens: 0 }, { now: () => now.t, log: (f, msg) => logs.push({ ...f, msg }) }, 'g');
  const calls = (): UpstreamCalls => ({
    signal: new AbortController().signal,
    patience: new AbortController().signal,
    send(req: UpstreamHttpRequest, signal?: AbortSignal): Promise<UpstreamReply> {
      assert.equal(req.url, 'http://gemini.test/v1beta/cachedContents', 'only creations in these tests');
      return new Promise((resolve, reject) => {
        const name = `cachedContents/c${++made}`;
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        creations.push({
          body: JSON.parse(String(req.body)) as Record<string, unknown>,
          signal,
          answer: () => resolve({ status: 200, headers: {}, text: JSON.stringify({ name, expireTime: new Date(now.t + 5 * MIN).toISOString() }) }),
        });
      });
    },
  });
  /** The body the request goes with. The prepare step may wait for a creation: `whileWaiting` answers it. */
  const send = async (req: ChatRequest, whileWaiting?: () => void): Promise<GeminiRequest> => {
    const pending = codec.prepare!(req, 'gemini-2.5-flash', endpoint, calls());
    assert.ok(pending, 'requests with breakpoints are prepared');
    await new Promise((r) => setImmediate(r));
    whileWaiting?.();
    const built = codec.buildRequest(req, 'gemini-2.5-flash', endpoint, true, await pending);
    return JSON.parse(String(built.body)) as GeminiRequest;
  };
  /** Answers every creation not answered yet and lets the store take them in. */
  const answerAll = async (): Promise<void> => {
    for (const c of creations.splice(0)) c.answer();
    await new Promise((r) => setImmediate(r));
  };
  return { now, logs, creations, send, answerAll, codec };
}

const text = (t: string, cached = false) => ({ type: 'text' as const, text: t, ...(cached ? { cacheControl: CC } : {}) });
const request = (messages: Message[]): ChatRequest => ({
  model: 'm',
  messages,
  stream: true,
  includeUsage: false,
  // An OpenAI-shaped client: system messages anywhere, and a trailing assistant turn is no prefill.
  front: 'openai',
  raw: {},
  tools: [{ name: 'Bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } }],
});
const SYSTEM: Message = { role: 'system', content: [text('You are a careful agent.', true)] };
const user = (t: string, cached = false): Message => ({ role: 'user', content: [text(t, cached)] });
const model = (t: string): Message => ({ role: 'assistant', content: [text(t)] });
const roles = (contents: GeminiContent[] | undefined) => (contents ?? []).map((c) => c.role);
const systemOf = (body: Record<string, unknown>) => JSON.stringify(body.systemInstruction ?? null);

/** Claude Code's marking at step `n`: the system prompt and the last two user messages. */
function step(n: number, reminder?: string): ChatRequest {
  const messages: Message[] = [SYSTEM];
  for (let i = 1; i <= n; i++) {
    messages.push(user(`task ${i}`, i >= n - 1));
    if (i < n) messages.push(model(`done ${i}`));
  }
  if (reminder !== undefined) messages.push({ role: 'system', content: [text(reminder)] });
  return request(messages);
}

describe('context cache prepare: read any breakpoint, write the last', () => {
  test('the newest message marked: sent uncached, its prefix made in the background; the next step reads it and makes its own', async () => {
    const h = harness();
    const first = await h.send(step(1));
    assert.equal(first.cachedContent, undefined);
    assert.ok(first.systemInstruction, 'uncached: the whole request');
    assert.equal(h.creations.length, 1, 'made for the next request, not waited for');
    assert.deepEqual(roles(h.creations[0]!.body.contents as GeminiContent[]), ['user']);
    await h.answerAll();

    const second = await h.send(step(2));
    assert.equal(second.cachedContent, 'cachedContents/c1');
    assert.deepEqual(roles(second.contents), ['model', 'user']);
    assert.equal(second.systemInstruction, undefined);
    assert.equal(h.creations.length, 1, "step 2's own prefix, in the background");
    assert.deepEqual(roles(h.creations[0]!.body.contents as GeminiContent[]), ['user', 'model', 'user']);
    assert.equal(h.logs.filter((l) => l.msg === 'context cache: created').length, 1);
  });

  test('a hit at an earlier breakpoint does not wait for the last one, which is made once however often it is asked for', async () => {
    const h = harness();
    await h.send(step(2));
    await h.answerAll();
    // A client that marks history: the last breakpoint (task 3) is before the newest message.
    const marks = (): ChatRequest => request([SYSTEM, user('task 1'), model('done 1'), user('task 2', true), model('done 2'), user('task 3', true), model('done 3'), user('task 4')]);
    const a = await h.send(marks());
    assert.equal(a.cachedContent, 'cachedContents/c1', 'read at task 2 at once');
    assert.equal(h.creations.length, 1, 'task 3 made in the background');
    const b = await h.send(marks());
    assert.equal(b.cachedContent, 'cachedContents/c1');
    assert.equal(h.creations.length, 1, 'coalesced: under way already');
    await h.answerAll();
    const c = await h.send(marks());
    assert.equal(c.cachedContent, 'cachedContents/c2', 'now the last breakpoint is cached');
    assert.deepEqual(roles(c.contents), ['model', 'user']);
    assert.equal(h.creations.length, 0);
  });

  test('nothing cached and the prefix usable by the request itself: it waits for the creation (as before)', async () => {
    const h = harness();
    const req = request([SYSTEM, user('task 1'), { role: 'assistant', content: [text('done 1', true)] }, user('task 2')]);
    const body = await h.send(req, () => h.creations[0]!.answer());
    assert.equal(body.cachedContent, 'cachedContents/c1');
    assert.deepEqual(roles(body.contents), ['user']);
  });

  test('reads every content boundary up to the last breakpoint: a client marking only the newest message still reads the step before', async () => {
    const h = harness();
    const only = (n: number): ChatRequest => {
      const messages: Message[] = [SYSTEM];
      for (let i = 1; i <= n; i++) {
        messages.push(user(`task ${i}`, i === n));
        if (i < n) messages.push(model(`done ${i}`));
      }
      return request(messages);
    };
    await h.send(only(2));
    await h.answerAll();
    const next = await h.send(only(3));
    assert.equal(next.cachedContent, 'cachedContents/c1');
    assert.deepEqual(roles(next.contents), ['model', 'user']);
  });
});

describe('system texts after the cached prefix', () => {
  test('a trailing system reminder is in no cache and no key: it ends the newest user turn, delimited', async () => {
    const h = harness();
    await h.send(step(1, 'Reminder one.'));
    assert.doesNotMatch(systemOf(h.creations[0]!.body), /Reminder/);
    assert.match(systemOf(h.creations[0]!.body), /careful agent/);
    await h.answerAll();
    const body = await h.send(step(2, 'Reminder two, different.'));
    assert.equal(body.cachedContent, 'cachedContents/c1', 'another reminder, the same key');
    assert.deepEqual(body.contents.at(-1)!.parts.at(-1), { text: '<system>\nReminder two, different.\n</system>' });
    assert.doesNotMatch(systemOf(h.creations[0]!.body), /Reminder/);
    // Uncached, everything system is the instruction, as without a cache.
    const uncached = harness();
    const whole = await uncached.send(step(1, 'Reminder one.'));
    assert.match(JSON.stringify(whole.systemInstruction), /careful agent\.\\n\\nReminder one\./);
  });

  test('a system message inside the prefix is cached; one after it goes to the next user turn, or a user turn of its own after a model turn', async () => {
    const h = harness();
    const messages: Message[] = [
      SYSTEM,
      user('task 1'),
      { role: 'system', content: [text('Mid-prefix note.')] },
      model('done 1'),
      user('task 2', true),
      { role: 'system', content: [text('After the cut, before a model turn.')] },
      model('done 2'),
      user('task 3', true),
      model('a trailing model turn'),
      { role: 'system', content: [text('Trailing.')] },
    ];
    // First: make task 2's prefix (the earlier breakpoint of the next request).
    await h.send(request(messages.slice(0, 5)));
    assert.match(systemOf(h.creations[0]!.body), /careful agent\.\\n\\nMid-prefix note\./);
    await h.answerAll();
    const body = await h.send(request(messages));
    assert.equal(body.cachedContent, 'cachedContents/c1');
    assert.deepEqual(roles(body.contents), ['model', 'user', 'model', 'user']);
    assert.deepEqual(body.contents[1]!.parts.map((p) => (p as { text: string }).text), ['task 3', '<system>\nAfter the cut, before a model turn.\n</system>']);
    assert.deepEqual(body.contents[3]!.parts, [{ text: '<system>\nTrailing.\n</system>' }]);
  });
});
