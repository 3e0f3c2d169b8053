// Writes src/protocols/bedrock/__fixtures__/*.eventstream: ConverseStream bodies in the shapes the
// real service sends (bedrock.md §5: padding on every payload, no contentBlockStart for text and
// reasoning, metadata after messageStop), one scenario per file, as binary event-stream. The
// conformance suite replays them through every front. Run: node test/protocols/bedrock/make-fixtures.ts

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Frame, streamBytes } from './helpers.ts';

const DIR = join(import.meta.dirname, '../../../src/protocols/bedrock/__fixtures__');
const usage = (input: number, output: number, extra: object = {}) => ['metadata', { usage: { inputTokens: input, outputTokens: output, totalTokens: input + output, ...extra }, metrics: { latencyMs: 412 } }] as Frame;
const text = (index: number, t: string): Frame => ['contentBlockDelta', { contentBlockIndex: index, delta: { text: t } }];
const stop = (index: number): Frame => ['contentBlockStop', { contentBlockIndex: index }];
const start: Frame = ['messageStart', { role: 'assistant' }];

const FIXTURES: Record<string, Frame[]> = {
  'text-usage': [start, text(0, 'Hello'), text(0, ', naïve café 🌧'), text(0, ' "quoted" \\ end.'), stop(0), ['messageStop', { stopReason: 'end_turn' }], usage(12, 9)],
  'reasoning-signature-text': [
    start,
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'The user wants ' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'a short answer.' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: '' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'EqQBCkgIARABGAIiQKs2M2Nm' } } }],
    stop(0),
    text(1, 'Four.'),
    stop(1),
    ['messageStop', { stopReason: 'end_turn' }],
    usage(40, 33),
  ],
  'tool-use-fragments': [
    start,
    text(0, 'Let me check.'),
    stop(0),
    ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather' } } }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '' } } }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city": "Os' } } }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: 'lo", "days": 3}' } } }],
    stop(1),
    ['messageStop', { stopReason: 'tool_use' }],
    usage(300, 60),
  ],
  'tool-no-args': [
    start,
    ['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_noargs01', name: 'get_time' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '' } } }],
    stop(0),
    ['messageStop', { stopReason: 'tool_use' }],
    usage(80, 12),
  ],
  'parallel-tool-use': [
    start,
    ['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_a1', name: 'get_weather' } } }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":"Oslo"}' } } }],
    stop(0),
    ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_b2', name: 'get_weather' } } }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }],
    ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Bergen"}' } } }],
    stop(1),
    ['messageStop', { stopReason: 'tool_use' }],
    usage(120, 40),
  ],
  'redacted-reasoning': [
    start,
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'RXJyb3IgZW5jcnlwdGVk' } } }],
    stop(0),
    text(1, 'Done.'),
    stop(1),
    ['messageStop', { stopReason: 'end_turn' }],
    usage(20, 5),
  ],
  'cache-usage': [start, text(0, 'Cached.'), stop(0), ['messageStop', { stopReason: 'end_turn' }], usage(4, 3, { cacheReadInputTokens: 2048, cacheWriteInputTokens: 100 })],
  'metadata-first': [start, text(0, 'Order varies.'), stop(0), usage(6, 3), ['messageStop', { stopReason: 'max_tokens' }]],
  'throttling-midstream': [start, text(0, 'Partial'), text(0, ' answer'), ['exception:throttlingException', '{"message":"Too many requests, please wait before trying again."}']],
  'model-stream-error-first': [start, ['exception:modelStreamErrorException', '{"message":"Model stream error","originalStatusCode":500,"originalMessage":"overloaded"}']],
  truncated: [start, text(0, 'Cut'), text(0, ' off')],
};

for (const [name, frames] of Object.entries(FIXTURES)) writeFileSync(join(DIR, `${name}.eventstream`), streamBytes(frames));
