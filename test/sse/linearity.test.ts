// The decoder must stay linear in its input (sse.md §4; eventsource-parser's quadratic-join lesson).
// Bounds are generous so CI is not flaky; a quadratic implementation misses them by orders of magnitude.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SseDecoder } from '../../src/sse/index.ts';
import { bytes } from './collect.ts';

const BOUND_MS = 2000;

function pushInChunks(decoder: SseDecoder, input: Uint8Array, chunkSize: number): void {
  for (let at = 0; at < input.length; at += chunkSize) decoder.push(input.subarray(at, at + chunkSize));
  decoder.end();
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe('SseDecoder: linear time', () => {
  test('one 10 MB event in 64 KB chunks', () => {
    // Multi-byte text so chunk cuts also land inside characters.
    const value = 'abcdefgh€你😀'.repeat(Math.ceil((10 * 1024 * 1024) / 21));
    const input = bytes(`data: ${value}\n\n`);
    const received: string[] = [];
    const decoder = new SseDecoder({ onEvent: (data) => received.push(data) });
    const ms = timed(() => pushInChunks(decoder, input, 64 * 1024));
    assert.equal(received.length, 1);
    assert.ok(received[0] === value, 'the data arrives intact');
    assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms`);
  });

  test('one 1 MB line in 16-byte chunks', () => {
    const input = bytes(`data: ${'x'.repeat(1024 * 1024)}\n\n`);
    let length = -1;
    const decoder = new SseDecoder({ onEvent: (data) => (length = data.length) });
    const ms = timed(() => pushInChunks(decoder, input, 16));
    assert.equal(length, 1024 * 1024);
    assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms`);
  });

  test('100k small events in 64 KB chunks', () => {
    let wire = '';
    for (let i = 0; i < 100_000; i++) wire += `data: {"i":${i},"choices":[{"delta":{"content":"tok"}}]}\n\n`;
    const input = bytes(wire);
    let count = 0;
    let last = '';
    const decoder = new SseDecoder({
      onEvent(data) {
        count++;
        last = data;
      },
    });
    const ms = timed(() => pushInChunks(decoder, input, 64 * 1024));
    assert.equal(count, 100_000);
    assert.equal(last, '{"i":99999,"choices":[{"delta":{"content":"tok"}}]}');
    assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms`);
  });

  test('one event of 200k data lines', () => {
    const input = bytes('data: line\n'.repeat(200_000) + '\n');
    let length = -1;
    const decoder = new SseDecoder({ onEvent: (data) => (length = data.length) });
    const ms = timed(() => pushInChunks(decoder, input, 64 * 1024));
    assert.equal(length, 200_000 * 5 - 1);
    assert.ok(ms < BOUND_MS, `took ${ms.toFixed(0)} ms`);
  });
});
