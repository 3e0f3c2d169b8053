// Every config in the README's provider cookbook must be a valid config (issue 3: "a working config").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

test('every YAML block of the provider cookbook parses and validates', () => {
  const start = README.indexOf('## Provider cookbook');
  const end = README.indexOf('\n## ', start + 5);
  assert.ok(start >= 0, 'the README has a provider cookbook');
  const section = README.slice(start, end);
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 7, `found ${blocks.length} configs`);
  const env = new Proxy({} as Record<string, string>, { get: (_t, name) => (typeof name === 'string' ? `test-${name}` : undefined) });
  const covered = new Set<string>();
  for (const yaml of blocks) {
    const config = parseConfig(yaml, { env, source: 'README' });
    for (const p of Object.values(config.providers)) covered.add(p.preset ?? p.type);
    for (const m of Object.values(config.models)) assert.ok(m.targets.length > 0);
  }
  for (const kind of ['openai', 'anthropic', 'gemini', 'bedrock', 'cohere', 'vertex', 'azure-openai', 'azure-anthropic', 'openrouter', 'minimax', 'minimax-openai', 'ollama', 'vllm', 'llamacpp', 'exo']) {
    assert.ok(covered.has(kind), `the cookbook covers ${kind}`);
  }
});
