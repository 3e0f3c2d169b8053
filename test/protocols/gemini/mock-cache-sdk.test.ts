// `sluice mock`'s cachedContents checked against Google's own SDK (@google/genai caches.*): what the
// SDK sends is accepted, what the mock answers the SDK reads, and generateContent with a cache reports
// its tokens as cachedContentTokenCount; a deleted, expired or unknown name is Google's 403, a cache
// beside systemInstruction is Google's 400 (docs/protocols/gemini.md §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI } from '@google/genai';
import { startMock, type MockServer } from '../../../src/mock/server.ts';

const BIG = 'The quick brown fox jumps over the lazy dog. '.repeat(120); // ~5.4 KB: above 1024 mock tokens
let mock: MockServer;
let now = Date.parse('2030-01-01T00:00:00Z');
let ai: GoogleGenAI;

before(async () => {
  mock = await startMock({ now: () => now });
  ai = new GoogleGenAI({ apiKey: 'k-test', httpOptions: { baseUrl: mock.url, apiVersion: 'v1beta', timeout: 5000 } });
});
after(() => mock.close());

describe('mock cachedContents against @google/genai', () => {
  test('create, use, update, get, delete; then the deleted name is a 403', async () => {
    const cache = await ai.caches.create({
      model: 'gemini-2.5-flash',
      config: { contents: [{ role: 'user', parts: [{ text: BIG }] }], systemInstruction: 'Be brief.', ttl: '300s', displayName: 'sdk' },
    });
    assert.match(cache.name ?? '', /^cachedContents\/[0-9a-f]{40}$/);
    assert.equal(cache.model, 'models/gemini-2.5-flash');
    assert.equal(cache.displayName, 'sdk');
    assert.equal(cache.expireTime, new Date(now + 300_000).toISOString());
    const tokens = cache.usageMetadata?.totalTokenCount ?? 0;
    assert.ok(tokens >= 1024, `cached tokens ${tokens}`);
    const created = mock.requests.find((r) => r.method === 'POST' && r.path.endsWith('/v1beta/cachedContents'));
    assert.equal(created?.headers['x-goog-api-key'], 'k-test', 'the SDK signs the creation with its key');
    assert.deepEqual(Object.keys(created!.body ? JSON.parse(created!.body) : {}).sort(), ['contents', 'displayName', 'model', 'systemInstruction', 'ttl']);

    const answer = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi [[mock chunks=2]]', config: { cachedContent: cache.name } });
    assert.equal(answer.usageMetadata?.cachedContentTokenCount, tokens);
    assert.equal(answer.usageMetadata?.promptTokenCount, 10 + 1 + tokens);

    now += 60_000;
    const updated = await ai.caches.update({ name: cache.name!, config: { ttl: '600s' } });
    assert.equal(updated.expireTime, new Date(now + 600_000).toISOString());
    const got = await ai.caches.get({ name: cache.name! });
    assert.equal(got.expireTime, updated.expireTime);
    await ai.caches.delete({ name: cache.name! });

    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { cachedContent: cache.name } }),
      (err: unknown) => err instanceof ApiError && err.status === 403 && /CachedContent not found/.test(err.message),
    );
    await assert.rejects(ai.caches.get({ name: cache.name! }), (err: unknown) => err instanceof ApiError && err.status === 403);
  });

  test('a cache expires on the mock clock', async () => {
    const cache = await ai.caches.create({ model: 'gemini-2.5-flash', config: { contents: [{ role: 'user', parts: [{ text: BIG }] }], ttl: '120s' } });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { cachedContent: cache.name } });
    now += 120_000;
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { cachedContent: cache.name } }),
      (err: unknown) => err instanceof ApiError && err.status === 403,
    );
  });

  test('Google refusals: too small, unknown name, cache beside systemInstruction, another model', async () => {
    await assert.rejects(
      ai.caches.create({ model: 'gemini-2.5-flash', config: { contents: [{ role: 'user', parts: [{ text: 'short' }] }] } }),
      (err: unknown) => err instanceof ApiError && err.status === 400 && /Cached content is too small\. total_token_count=\d+, min_total_token_count=1024/.test(err.message),
    );
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { cachedContent: 'cachedContents/doesnotexist' } }),
      (err: unknown) => err instanceof ApiError && err.status === 403,
    );
    const cache = await ai.caches.create({ model: 'gemini-2.5-flash', config: { contents: [{ role: 'user', parts: [{ text: BIG }] }] } });
    // No ttl: Google's default of one hour.
    assert.equal(cache.expireTime, new Date(now + 3_600_000).toISOString());
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { cachedContent: cache.name, systemInstruction: 'x' } }),
      (err: unknown) => err instanceof ApiError && err.status === 400 && /CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config/.test(err.message),
    );
    await assert.rejects(
      ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi', config: { cachedContent: cache.name } }),
      (err: unknown) => err instanceof ApiError && err.status === 400,
    );
  });

  test('without a key the cache endpoints answer 403, as Google does', async () => {
    const res = await fetch(`${mock.url}/v1beta/cachedContents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'models/m', contents: [] }) });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { status: string } }).error.status, 'PERMISSION_DENIED');
  });
});
