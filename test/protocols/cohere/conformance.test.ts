// Every recorded upstream fixture (every registered upstream, and Cohere's) replayed through the
// Cohere front at random chunk boundaries: the output obeys the front's invariants (conformance.ts)
// whatever the chunking, and carries exactly the text, reasoning and tool calls the upstream sent.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { upstreams } from '../../../src/protocols/index.ts';
import { cohereFront, cohereUpstream } from '../../../src/protocols/cohere/index.ts';
import { checkCohereStream } from '../../../src/protocols/cohere/conformance.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import { ResponseCollector, type ChatResponse } from '../../../src/core/response.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { UpstreamCodec } from '../../../src/core/protocol.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { createCommitGate } from '../../../src/gateway/commit-gate.ts';
import { decodeContext } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function replay(upstream: UpstreamCodec, fixture: string, chunks: Buffer[]): { output: string; canonical?: ChatResponse; committed: boolean } {
  const out: string[] = [];
  const encode = cohereFront.createStreamEncoder(
    { requestId: 'r', model: 'client-model', created: 1, includeUsage: true, includeReasoning: true },
    { write: (s) => out.push(s) },
  );
  const collector = new ResponseCollector();
  let failed = false;
  const gate = createCommitGate(encode);
  const normalized = createNormalizer((ev: StreamEvent) => {
    if (ev.type === 'error') {
      failed = true;
      if (gate.committed) encode(ev);
      return;
    }
    collector.push(ev);
    gate.push(ev);
  });
  const ctx = decodeContext();
  if (fixture.includes('think-tags')) ctx.endpoint.quirks = { inlineThinkTags: true };
  const decoder = upstream.createStreamDecoder(normalized, ctx);
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  for (const c of chunks) sse.push(c);
  sse.end();
  decoder.end();
  return { output: out.join(''), canonical: failed ? undefined : collector.result(), committed: gate.committed };
}

function chunked(bytes: Buffer, seed: number): Buffer[] {
  let s = seed * 2654435761;
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (s % 23);
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

const normalizeIds = (s: string): string => s.replace(/"id":"[0-9a-f-]{36}"/g, '"id":"X"').replace(/call_[A-Za-z0-9]+/g, 'call_X');

for (const upstream of [...upstreams, cohereUpstream]) {
  const dir = join(ROOT, 'src/protocols', upstream.name, '__fixtures__');
  describe(`cohere front ← ${upstream.name} fixtures`, () => {
    for (const fixture of readdirSync(dir).filter((f) => f.endsWith('.sse'))) {
      test(fixture, () => {
        const bytes = readFileSync(join(dir, fixture));
        const whole = replay(upstream, fixture, [bytes]);
        for (let seed = 1; seed <= 10; seed++) {
          assert.equal(normalizeIds(replay(upstream, fixture, chunked(bytes, seed)).output), normalizeIds(whole.output), `seed ${seed}`);
        }
        if (!whole.committed) {
          assert.equal(whole.output, '', 'nothing written before the commit point');
          return;
        }
        const { answer, violations } = checkCohereStream(whole.output);
        assert.deepEqual(violations, []);
        if (!whole.canonical) {
          assert.ok(answer.error, 'a failed stream ends with message-end ERROR/TIMEOUT');
          return;
        }
        const blocks = whole.canonical.blocks;
        assert.equal(answer.text, blocks.map((b) => (b.kind === 'text' ? b.text : '')).join(''));
        assert.equal(answer.reasoning, blocks.map((b) => (b.kind === 'reasoning' ? b.text : '')).join(''));
        assert.deepEqual(
          answer.tools.map((t) => [t.name, t.arguments]),
          blocks.flatMap((b) => (b.kind === 'tool-call' ? [[b.name, b.arguments]] : [])),
        );
      });
    }
  });
}
