// Every config in the README's provider cookbook must be a valid config (issue 3: "a working config").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { fronts, providerTypes } from '../../src/protocols/index.ts';

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

test("the README's type list and layout name every provider type and protocol folder; the opening every front", () => {
  const typeLine = /^ {4}type: anthropic +# (.*)$/m.exec(README)?.[1] ?? '';
  for (const type of providerTypes.map((t) => t.type)) assert.ok(typeLine.split(' | ').includes(type), `config comment lacks type ${type}: ${typeLine}`);
  const layout = (/^src\/protocols +one folder per dialect \(([^)]*)\)/m.exec(README)?.[1] ?? '').split(', ');
  for (const dir of readdirSync(resolve(import.meta.dirname, '../../src/protocols'), { withFileTypes: true })) {
    if (dir.isDirectory() && dir.name !== 'shared') assert.ok(layout.includes(dir.name), `layout lacks src/protocols/${dir.name}`);
  }
  const opening = README.slice(0, README.indexOf('## Quick start'));
  for (const path of ['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v2/chat', ':streamGenerateContent', '/model/{id}/converse']) {
    assert.ok(opening.includes(path), `the opening paragraph lacks ${path}`);
  }
  assert.equal(fronts.length, 6, 'a new front: name it in the opening paragraph and in the list above');
});
