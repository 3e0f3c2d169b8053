// `context_cache:` on gemini and vertex providers (docs/protocols/gemini.md §9): defaults, units, and
// each problem reported at its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/config/index.ts';

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected the config to be rejected');
}

test('context_cache: defaults (5m, 1024 tokens), units, and off with enabled: false', () => {
  const config = parseConfig(
    `
providers:
  a: { type: gemini, api_key: k, context_cache: {} }
  b: { type: gemini, api_key: k, context_cache: { ttl: 1h, min_tokens: "4096" } }
  c: { type: gemini, api_key: k, context_cache: { enabled: "false" } }
  v: { type: vertex, project: p, context_cache: { ttl: 10m } }
`,
    { env: {} },
  );
  assert.deepEqual(config.providers.a!.settings, { contextCache: { enabled: true, ttlMs: 300_000, minTokens: 1024 } });
  assert.deepEqual(config.providers.b!.settings, { contextCache: { enabled: true, ttlMs: 3_600_000, minTokens: 4096 } });
  assert.equal((config.providers.c!.settings as { contextCache: { enabled: boolean } }).contextCache.enabled, false);
  assert.equal((config.providers.v!.settings as { contextCache: { ttlMs: number } }).contextCache.ttlMs, 600_000);
});

test('context_cache problems: unknown keys, a ttl under a minute, another type, express-mode Vertex', () => {
  const problems = problemsOf(`
providers:
  a: { type: gemini, api_key: k, context_cache: { ttl: 30s, min_token: 5 } }
  o: { type: openai, api_key: k, context_cache: { ttl: 5m } }
  x: { type: vertex, api_key: k, context_cache: { ttl: 5m } }
`);
  const text = problems.join('\n');
  assert.match(text, /providers\.a\.context_cache\.ttl.*at least 1m/);
  assert.match(text, /providers\.a\.context_cache.*min_token/);
  assert.match(text, /providers\.o.*context_cache/);
  assert.match(text, /providers\.x\.context_cache.*express mode/);
});
