// ChatRequest -> Converse request: URLs, content blocks, tools, model-native fields per family.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import { buildBedrockRequest } from '../../../src/protocols/bedrock/encode-request.ts';
import { buildCountTokensRequest } from '../../../src/protocols/bedrock/count-tokens.ts';
import { chatRequest, endpoint } from './helpers.ts';

const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

function body(req: ChatRequest, model = CLAUDE, ep = endpoint()): Record<string, any> {
  return JSON.parse(String(buildBedrockRequest(req, model, ep, true).body));
}

test('URLs: the model id is one encoded segment; region or base_url; stream or not', () => {
  assert.equal(
    buildBedrockRequest(chatRequest(), CLAUDE, endpoint(), true).url,
    'https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream',
  );
  const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3';
  assert.equal(
    buildBedrockRequest(chatRequest(), arn, endpoint({ baseUrl: 'http://127.0.0.1:4010/' }), false).url,
    'http://127.0.0.1:4010/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3/converse',
  );
  const r = buildBedrockRequest(chatRequest(), CLAUDE, endpoint({ headers: { 'x-extra': '1' } }), true);
  assert.equal(r.headers.accept, 'application/vnd.amazon.eventstream');
  assert.equal(r.headers['x-extra'], '1');
  assert.equal(r.headers.authorization, undefined, 'credentials are added by the auth, not the codec');
});

test('system messages gather in order; same-role turns merge; empty text is dropped', () => {
  const b = body(
    chatRequest({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
        { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'two' }] },
        { role: 'system', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
      ],
    }),
  );
  assert.deepEqual(b.system, [{ text: 'Be terse.' }, { text: 'Answer in English.' }]);
  assert.deepEqual(b.messages, [{ role: 'user', content: [{ text: 'one' }, { text: 'two' }] }]);
});

test('images as bytes (base64 or data URL); web URLs are refused with a clear 400', () => {
  const b = body(
    chatRequest({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    }),
  );
  assert.deepEqual(b.messages[0].content.slice(0, 2), [
    { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } },
    { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
  ]);
  assert.throws(
    () => body(chatRequest({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] }] })),
    (e: GatewayError) => e.status === 400 && /base64/.test(e.message),
  );
});

test('documents get a valid unique name and a text block in their message', () => {
  const b = body(
    chatRequest({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'report.v2.pdf' },
            { type: 'document', mediaType: 'text/plain', data: 'aGk=', filename: 'report.v2.pdf' },
          ],
        },
      ],
    }),
  );
  assert.deepEqual(b.messages[0].content, [
    { document: { format: 'pdf', name: 'report-v2-pdf', source: { bytes: 'JVBERi0=' } } },
    { document: { format: 'txt', name: 'report-v2-pdf (2)', source: { bytes: 'aGk=' } } },
    { text: 'report-v2-pdf, report-v2-pdf (2)' },
  ]);
});

test('tool round trip: toolUse with an object input, toolResult first in the next user turn', () => {
  const b = body(
    chatRequest({
      tools: [{ name: 'get_forecast', description: 'Forecast', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'Need the tool.', signature: 'EqQB' },
            { type: 'tool-call', id: 'call_1', name: 'get_forecast', arguments: '{"city":"Oslo"}' },
            { type: 'tool-call', id: 'call:2', name: 'get_forecast', arguments: '' },
          ],
        },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: '{"high_c":4}' }] }] },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ],
    }),
  );
  assert.deepEqual(b.messages[1].content[0], { reasoningContent: { reasoningText: { text: 'Need the tool.', signature: 'EqQB' } } });
  assert.deepEqual(b.messages[1].content[1], { toolUse: { toolUseId: 'call_1', name: 'get_forecast', input: { city: 'Oslo' } } });
  const id2 = b.messages[1].content[2].toolUse.toolUseId;
  assert.match(id2, /^[a-zA-Z0-9_-]+$/);
  assert.deepEqual(b.messages[2], {
    role: 'user',
    content: [
      { toolResult: { toolUseId: 'call_1', content: [{ text: '{"high_c":4}' }] } },
      { toolResult: { toolUseId: id2, content: [{ text: '(no result)' }], status: 'error' } },
      { text: 'Thanks' },
    ],
  });
  assert.deepEqual(b.toolConfig, {
    tools: [{ toolSpec: { name: 'get_forecast', description: 'Forecast', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }],
  });
});

test('toolChoice: required → any, a named tool → tool, none → no tools; history alone still gets a toolConfig (Q-35)', () => {
  const tools = [{ name: 'f', parameters: {} }];
  assert.deepEqual(body(chatRequest({ tools, toolChoice: { type: 'required' } })).toolConfig.toolChoice, { any: {} });
  assert.deepEqual(body(chatRequest({ tools, toolChoice: { type: 'tool', name: 'f' } })).toolConfig.toolChoice, { tool: { name: 'f' } });
  assert.equal(body(chatRequest({ tools, toolChoice: { type: 'auto' } })).toolConfig.toolChoice, undefined);
  assert.equal(body(chatRequest({ tools, toolChoice: { type: 'none' } })).toolConfig, undefined);
  const history = body(
    chatRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: 'r' }] }] },
      ],
    }),
  );
  assert.deepEqual(history.toolConfig.tools.map((t: any) => t.toolSpec.name), ['lookup']);
});

test('tool names Bedrock rejects are mapped consistently in tools, history and toolChoice', () => {
  const b = body(
    chatRequest({
      tools: [{ name: 'fs.read', parameters: {} }],
      toolChoice: { type: 'tool', name: 'fs.read' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'fs.read', arguments: '{}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: 'r' }] }] },
      ],
    }),
  );
  const name = b.toolConfig.tools[0].toolSpec.name;
  assert.match(name, /^fs_read_[0-9a-f]{8}$/);
  assert.equal(b.toolConfig.toolChoice.tool.name, name);
  assert.equal(b.messages[1].content[0].toolUse.name, name);
});

test('Anthropic thinking via additionalModelRequestFields; temperature dropped; maxTokens above the budget', () => {
  const b = body(chatRequest({ reasoning: { budgetTokens: 16000 }, temperature: 0.2, topK: 5, maxTokens: 4096, anthropicBeta: 'interleaved-thinking-2025-05-14, x' }));
  assert.deepEqual(b.additionalModelRequestFields, {
    thinking: { type: 'enabled', budget_tokens: 16000 },
    anthropic_beta: ['interleaved-thinking-2025-05-14', 'x'],
  });
  assert.deepEqual(b.inferenceConfig, { maxTokens: 17024 });
  assert.deepEqual(body(chatRequest({ reasoning: { effort: 'high' } })).additionalModelRequestFields.thinking, { type: 'enabled', budget_tokens: 16384 });
  assert.deepEqual(body(chatRequest({ reasoning: { adaptive: true } })).additionalModelRequestFields.thinking, { type: 'adaptive' });
  // Without thinking: temperature, topP in inferenceConfig; top_k model-native.
  const plain = body(chatRequest({ temperature: 0.2, topP: 0.9, topK: 5, stop: ['END', ''] }));
  assert.deepEqual(plain.inferenceConfig, { temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
  assert.deepEqual(plain.additionalModelRequestFields, { top_k: 5 });
});

test('thinking is left off when the last tool-using assistant turn has no signed reasoning to replay', () => {
  const b = body(
    chatRequest({
      reasoning: { budgetTokens: 2048 },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'unsigned' }, { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: 'r' }] }] },
      ],
    }),
  );
  assert.equal(b.additionalModelRequestFields, undefined);
  assert.equal(b.messages[1].content.length, 1, 'unsigned reasoning is not replayed');
});

test('other families: OpenAI reasoning_effort, Nova reasoningConfig and topK, nothing for Llama', () => {
  const req = chatRequest({ reasoning: { effort: 'high' }, topK: 3 });
  assert.deepEqual(body(req, 'openai.gpt-oss-120b-1:0').additionalModelRequestFields, { reasoning_effort: 'high' });
  assert.deepEqual(body(req, 'us.amazon.nova-2-lite-v1:0').additionalModelRequestFields, {
    inferenceConfig: { topK: 3 },
    reasoningConfig: { type: 'enabled', maxReasoningEffort: 'high' },
  });
  assert.equal(body(req, 'us.meta.llama4-maverick-17b-instruct-v1:0').additionalModelRequestFields, undefined);
  // An application inference profile names no family: the provider's model_family does.
  const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3';
  const ep = endpoint({ settings: { region: 'us-east-1', modelFamily: 'anthropic' } });
  assert.deepEqual(body(chatRequest({ reasoning: { budgetTokens: 2048 } }), arn, ep).additionalModelRequestFields, {
    thinking: { type: 'enabled', budget_tokens: 2048 },
  });
});

test('json_schema response format becomes outputConfig.textFormat with the schema as a string', () => {
  const schema = { type: 'object', properties: { a: { type: 'number' } } };
  const b = body(chatRequest({ responseFormat: { type: 'json_schema', name: 'answer', schema } }));
  assert.deepEqual(b.outputConfig, { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'answer' } } } });
});

test('a Bedrock-front Converse body passes through unchanged (guardrails, additional fields)', () => {
  const raw = {
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    guardrailConfig: { guardrailIdentifier: 'g1', guardrailVersion: '1' },
    additionalModelRequestFields: { top_k: 1 },
  };
  assert.deepEqual(body(chatRequest({ front: 'bedrock', raw })), raw);
});

test('n>1 and logprobs are refused rather than ignored', () => {
  assert.throws(() => body(chatRequest({ n: 2 })), /n>1/);
  assert.throws(() => body(chatRequest({ raw: { logprobs: true } })), /logprobs/);
});

test('CountTokens takes the Converse messages, system and tools', () => {
  const r = buildCountTokensRequest(
    chatRequest({ messages: [{ role: 'system', content: [{ type: 'text', text: 's' }] }, { role: 'user', content: [{ type: 'text', text: 'u' }] }], maxTokens: 5 }),
    CLAUDE,
    endpoint(),
  );
  assert.equal(r.url, 'https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens');
  assert.deepEqual(JSON.parse(String(r.body)), { input: { converse: { messages: [{ role: 'user', content: [{ text: 'u' }] }], system: [{ text: 's' }] } } });
});
