// What the openai-responses upstream decoder makes of its recorded streams (the conformance suite,
// test/conformance/pairs.test.ts, replays them through every front at random chunk boundaries).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkResponsesStream } from '../../../src/protocols/openai-responses/conformance.ts';
import { createResponsesStreamDecoder } from '../../../src/protocols/openai-responses/decode-stream.ts';
import { createResponsesStreamEncoder } from '../../../src/protocols/openai-responses/encode-stream.ts';
import { baseRequest, replay } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'src/protocols/openai-responses/__fixtures__');
const responsesFront = { name: 'openai-responses', createStreamEncoder: createResponsesStreamEncoder };
const responsesUpstream = { name: 'openai-responses', createStreamDecoder: createResponsesStreamDecoder };

describe('what the Responses upstream decoder makes of its fixtures', () => {
  const decode = (fixture: string) => replay(responsesFront, responsesUpstream, [readFileSync(join(FIXTURES, fixture))], baseRequest('openai-responses'));

  test('usage with cached and reasoning tokens, status → finish', () => {
    const text = decode('text-cached-usage.sse').canonical!;
    assert.deepEqual(text.usage, { inputTokens: 1436, outputTokens: 22, cacheReadTokens: 1024, reasoningTokens: 0 });
    assert.equal(text.finishReason, 'stop');
    const calls = decode('reasoning-parallel-calls.sse').canonical!;
    assert.equal(calls.finishReason, 'tool-calls');
    assert.equal(calls.usage?.reasoningTokens, 128);
    assert.equal(decode('incomplete-max-output-tokens.sse').canonical!.finishReason, 'length');
  });

  test('reasoning summaries joined by a blank line; the item id and encrypted_content ride as the signature', () => {
    const calls = decode('reasoning-parallel-calls.sse');
    const reasoning = calls.canonical!.blocks[0]!;
    assert.equal(reasoning.kind, 'reasoning');
    assert.equal((reasoning as { text: string }).text, '**Checking two cities**\n\nThe user wants weather for Oslo and Bergen.\n\nI will call get_forecast twice.');
    assert.match((reasoning as { signature: string }).signature, /^oai-responses:\["rs_0b1c2d3e4f5a6b7c0068f1c2e1a1b2c3d4e5f6a7b8c9d0e1","gAAAAAB/);
    const { answer } = checkResponsesStream(calls.output);
    assert.deepEqual(answer.tools.map((t) => t.id), ['call_Wq8xL2mN4pR6tV8y', 'call_Hx3kJ5mP7rT9vX1z']);
  });

  test('a custom tool call is the canonical function form; errors keep their code', () => {
    const custom = decode('custom-tool-call.sse').canonical!;
    const call = custom.blocks.find((b) => b.kind === 'tool-call') as { name: string; arguments: string };
    assert.equal(call.name, 'apply_patch');
    assert.equal(JSON.parse(call.arguments).input, '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-const x = 1;\n+const x = "2\\t";\n*** End Patch');
    const failed = decode('error-event-midstream.sse');
    const error = failed.events.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error');
    assert.equal(error.error.code, 'upstream_error');
    assert.match(error.error.message, /The server had an error/);
    const truncated = decode('truncated.sse').events.at(-1)!;
    assert.equal(truncated.type === 'error' && truncated.error.code, 'stream_truncated');
  });
});
