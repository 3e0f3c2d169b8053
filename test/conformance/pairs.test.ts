// The conformance suite (issue 3): every front × every upstream. Each recorded upstream stream is
// replayed through the real stages — SSE decoder, upstream decoder, normalizer, commit gate, front
// encoder — whole and at many random chunk boundaries (inside multi-byte characters, between CR and
// LF), and what the client would receive must (a) be identical whatever the chunking, (b) obey the
// SPEC §4.5 invariants, and (c) carry exactly the text, reasoning and tool calls the upstream sent.

import { describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fronts, protocols, upstreams } from '../../src/protocols/index.ts';
import { createNormalizer } from '../../src/core/normalize.ts';
import { ResponseCollector, type ChatResponse } from '../../src/core/response.ts';
import type { StreamEvent } from '../../src/core/events.ts';
import type { ChatRequest } from '../../src/core/request.ts';
import type { FrontCodec, StreamOutput, UpstreamCodec, UpstreamEndpoint } from '../../src/core/protocol.ts';
import { createCommitGate } from '../../src/gateway/commit-gate.ts';
import { runDemo } from '../../src/protocols/demo/run.ts';
import { withUsageEstimate } from '../../src/gateway/usage.ts';
import type { FrontAnswer } from './invariants.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// Outputs are compared across chunkings byte for byte: clock readings in them (Bedrock's
// metadata latencyMs) must not move between replays.
mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
const CLIENT_MODEL = 'client-model';

const request: ChatRequest = {
  model: CLIENT_MODEL,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  stream: true,
  includeUsage: true,
  front: 'openai',
  raw: {},
};

/** Quirk flags a fixture's upstream needs, read from its name (they are provider configuration). */
function quirksFor(fixture: string): UpstreamEndpoint['quirks'] {
  return fixture.includes('think-tags') ? { inlineThinkTags: true } : {};
}

interface Outcome {
  /** What the client received (SSE text); '' when the failure came before the commit point. */
  output: string;
  /** The canonical answer as the normalizer passed it on, or undefined after an error. */
  canonical?: ChatResponse;
  failed: boolean;
  committed: boolean;
}

/** Mirrors the pipeline: events reach the front encoder from the commit point on; an error after it is an event. */
function replay(front: FrontCodec, upstream: UpstreamCodec, fixture: string, chunks: Buffer[], includeUsage: boolean): Outcome {
  const out: string[] = [];
  const encode = front.createStreamEncoder(
    { requestId: 'r', model: CLIENT_MODEL, created: 1_700_000_000, includeUsage, includeReasoning: true },
    wireOutput(out),
  );
  const collector = new ResponseCollector();
  let failed = false;
  const gate = createCommitGate(encode);
  const normalized = createNormalizer(
    withUsageEstimate(request, (ev: StreamEvent) => {
      if (ev.type === 'error') {
        failed = true;
        if (gate.committed) encode(ev);
        return;
      }
      collector.push(ev);
      gate.push(ev);
    }),
  );
  const endpoint: UpstreamEndpoint = { name: 'up', baseUrl: 'http://127.0.0.1:9', headers: {}, quirks: quirksFor(fixture) };
  const decoder = upstream.createStreamDecoder(normalized, { provider: 'up', endpoint, request });
  const frames = upstream.framing.create({ onEvent: (data, event) => decoder.onEvent(data, event), onError: () => (failed = true) });
  for (const c of chunks) frames.push(c);
  frames.end();
  decoder.end();
  return { output: out.join(''), canonical: failed ? undefined : collector.result(), failed, committed: gate.committed };
}

/** What a front writes, as text; a binary framing's bytes (AWS event-stream) as a latin1 string. */
function wireOutput(out: string[]): StreamOutput {
  return { write: (s) => out.push(s), writeBytes: (b) => out.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')) };
}

/** Each front's own invariants (its protocol's conformance checker); a front without one fails here. */
function check(front: FrontCodec, output: string, includeUsage: boolean): FrontAnswer {
  const conformance = protocols.find((p) => p.front === front)?.conformance;
  assert.ok(conformance, `front ${front.name} declares its stream invariants (Protocol.conformance)`);
  return conformance.check(output, { model: CLIENT_MODEL, includeUsage });
}

/** The answer must carry what the upstream said: same text, reasoning, tool calls (names and arguments). */
function assertSameContent(answer: FrontAnswer, canonical: ChatResponse, front: FrontCodec): void {
  const text = canonical.blocks.filter((b) => b.kind === 'text').map((b) => (b as { text: string }).text).join('');
  assert.equal(answer.text, text, 'text carried exactly');
  const reasoning = canonical.blocks.filter((b) => b.kind === 'reasoning').map((b) => (b as { text: string }).text).join('');
  assert.equal(answer.reasoning, reasoning, 'reasoning carried exactly');
  const tools = canonical.blocks.filter((b) => b.kind === 'tool-call') as Array<{ name: string; arguments: string }>;
  if (front.name === 'gemini') {
    // Gemini carries arguments as an object: the same JSON value, '' meaning none.
    assert.deepEqual(
      answer.tools.map((t) => ({ name: t.name, args: JSON.parse(t.arguments) })),
      tools.map((t) => ({ name: t.name, args: t.arguments.trim() === '' ? {} : JSON.parse(t.arguments) })),
      'tool calls carried exactly',
    );
    return;
  }
  assert.deepEqual(
    answer.tools.map((t) => ({ name: t.name, arguments: t.arguments })),
    tools.map((t) => ({ name: t.name, arguments: front.name === 'anthropic' && t.arguments === '' ? '' : t.arguments })),
    'tool calls carried exactly',
  );
  for (const t of answer.tools) if (t.arguments !== '') assert.doesNotThrow(() => JSON.parse(t.arguments));
}

/** Deterministic splitter biased to awkward boundaries. */
function randomChunks(bytes: Buffer, seed: number): Buffer[] {
  let s = seed * 2654435761;
  const rand = (n: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    let size = rand(4) === 0 ? 1 : 1 + rand(40);
    // Prefer cutting inside a multi-byte character or between CR and LF.
    const j = Math.min(bytes.length, i + size);
    if (j < bytes.length && rand(3) === 0) {
      const b = bytes[j - 1]!;
      if (b >= 0xc0 || b === 0x0d) size = Math.max(1, size);
    }
    out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
    i += size;
  }
  return out;
}

/** The output as comparable text: minted ids masked, a binary framing rendered by its front first. */
const readable = (front: FrontCodec, output: string): string =>
  normalizeIds(protocols.find((p) => p.front === front)?.conformance?.readable?.(output) ?? output);

const normalizeIds = (s: string): string =>
  s
    .replace(/chatcmpl-[A-Za-z0-9]+/g, 'chatcmpl-X')
    .replace(/\b(resp|msg|rs|fc|ctc|call|toolu)_[A-Za-z0-9]+/g, '$1_X')
    // Fronts whose ids are UUIDs (Cohere's message ids).
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID');

/**
 * Every folder with recorded streams, with the codec that reads them: the protocol's own upstream
 * codec, or the one its provider type builds (Azure OpenAI: the OpenAI decoder with Azure's rules).
 */
const FIXTURE_ENDPOINT: UpstreamEndpoint = { name: 'up', baseUrl: 'http://127.0.0.1:9', apiKey: 'k', headers: {}, quirks: {}, settings: {} };
const fixtureSets = protocols.flatMap((p) => {
  const dir = join(ROOT, 'src/protocols', p.name, '__fixtures__');
  if (!existsSync(dir)) return [];
  let codec = p.upstream;
  if (codec === undefined) {
    const built = p.providerTypes?.[0]?.create(FIXTURE_ENDPOINT, { now: Date.now });
    if (built?.kind === 'http') codec = built.codecFor('fixture-model');
  }
  assert.ok(codec, `${p.name} has fixtures but no upstream codec to read them`);
  return [{ name: p.name, upstream: codec, dir }];
});
assert.ok(upstreams.every((u) => fixtureSets.some((f) => f.upstream === u)), 'every upstream codec has recorded fixtures');

for (const { name, upstream, dir } of fixtureSets) {
  // One scenario per file, in the upstream's own framing: `.sse`, or `.eventstream` (AWS, binary).
  const fixtures = readdirSync(dir).filter((f) => /\.(sse|eventstream)$/.test(f));
  describe(`upstream ${name}`, () => {
    for (const fixture of fixtures) {
      const bytes = readFileSync(join(dir, fixture));
      for (const front of fronts) {
        test(`${front.name} front ← ${fixture}`, () => {
          for (const includeUsage of [true, false]) {
            const whole = replay(front, upstream, fixture, [bytes], includeUsage);
            for (let seed = 1; seed <= 25; seed++) {
              const again = replay(front, upstream, fixture, randomChunks(bytes, seed), includeUsage);
              assert.equal(readable(front, again.output), readable(front, whole.output), `seed ${seed}: same output whatever the chunking`);
            }
            const bytewise = replay(front, upstream, fixture, [...bytes].map((b) => Buffer.from([b])), includeUsage);
            assert.equal(readable(front, bytewise.output), readable(front, whole.output), 'byte by byte: same output');
            if (!whole.committed) {
              // Failed before anything content-bearing: the client gets an HTTP error, not a stream.
              assert.ok(whole.failed, 'an uncommitted stream must have failed');
              assert.equal(whole.output, '', 'nothing written before the commit point');
              continue;
            }
            const answer = check(front, whole.output, includeUsage);
            if (whole.failed) assert.ok(answer.error, 'a failed stream ends with an error event');
            else assertSameContent(answer, whole.canonical!, front);
          }
        });
      }
    }
  });
}

describe('upstream demo', () => {
  const withTools: ChatRequest = {
    ...request,
    tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } }],
  };
  for (const [name, req] of [['text', request], ['tool call', withTools]] as const) {
    for (const front of fronts) {
      test(`${front.name} front ← demo ${name}`, async () => {
        const out: string[] = [];
        const encode = front.createStreamEncoder(
          { requestId: 'r', model: CLIENT_MODEL, created: 1, includeUsage: true, includeReasoning: false },
          wireOutput(out),
        );
        const collector = new ResponseCollector();
        const gate = createCommitGate(encode);
        await new Promise<void>((done) => {
          const normalized = createNormalizer((ev) => {
            collector.push(ev);
            gate.push(ev);
            if (ev.type === 'done') done();
          });
          runDemo(req, normalized, { firstTokenMs: 0, tokenMs: 0 });
        });
        const answer = check(front, out.join(''), true);
        assertSameContent(answer, collector.result(), front);
        if (name === 'tool call') assert.equal(answer.tools.length, 1);
      });
    }
  }
});
