// Recorded-style streams in ./fixtures replayed whole and under many re-chunkings (docs/style.md:
// replay fixtures at random chunk boundaries, including inside multi-byte characters and between CR
// and LF).
// Every re-chunking must report exactly what the whole-buffer parse and the .expected.json report.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeChunks, seededRandom, splitAt } from './collect.ts';
import type { Decoded } from './collect.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const RANDOM_CHUNKINGS = 300;

const names = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.sse'))
  .map((file) => file.slice(0, -'.sse'.length))
  .sort();

function expectedFor(name: string): Omit<Decoded, 'errors'> {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8'));
}

/** Offsets worth cutting at: before UTF-8 continuation bytes, between CR and LF, inside the BOM. */
function interestingOffsets(input: Uint8Array): number[] {
  const offsets: number[] = [1, 2];
  for (let i = 1; i < input.length; i++) {
    const byte = input[i];
    if ((byte & 0xc0) === 0x80) offsets.push(i);
    if (input[i - 1] === 0x0d) offsets.push(i);
  }
  return offsets;
}

/**
 * Copies each chunk into its own buffer, sometimes as a plain Uint8Array at a non-zero byteOffset,
 * so the decoder sees both Buffers and foreign views.
 */
function* owned(chunks: Uint8Array[], random: () => number): Generator<Uint8Array> {
  for (const chunk of chunks) {
    if (random() < 0.5) {
      yield Buffer.from(chunk);
    } else {
      const backing = new Uint8Array(chunk.length + 7);
      backing.set(chunk, 3);
      yield backing.subarray(3, 3 + chunk.length);
    }
  }
}

/** Pushes chunks and scribbles over each one afterwards: the decoder must not retain them. */
function decodeScribbling(chunks: Iterable<Uint8Array>): Decoded {
  const scribbled: Uint8Array[] = [];
  const all = [...chunks];
  const result = decodeChunks(
    (function* () {
      for (const chunk of all) {
        yield chunk;
        scribbled.push(chunk);
        chunk.fill(0x0a);
      }
    })(),
  );
  assert.equal(scribbled.length, all.length);
  return result;
}

function randomChunking(input: Uint8Array, random: () => number): number[] {
  const interesting = interestingOffsets(input);
  const style = Math.floor(random() * 4);
  const offsets: number[] = [];
  if (style === 3) {
    // Cut only at interesting places (a random subset of them).
    for (const at of interesting) if (random() < 0.5) offsets.push(at);
    return offsets;
  }
  const maxSize = [4, 64, input.length][style];
  for (let at = 0; at < input.length; ) {
    at += 1 + Math.floor(random() * maxSize);
    offsets.push(at);
  }
  for (const at of interesting) if (random() < 0.2) offsets.push(at);
  return offsets;
}

describe('SSE fixtures', () => {
  test('the fixtures folder holds the expected set', () => {
    assert.ok(names.length >= 10, `found ${names.length} fixtures`);
  });

  for (const [index, name] of names.entries()) {
    test(name, () => {
      const input = new Uint8Array(readFileSync(join(FIXTURES, `${name}.sse`)));
      const expected = { ...expectedFor(name), errors: [] };
      const whole = decodeChunks([input.slice()]);
      assert.deepEqual(whole, expected, 'whole-buffer parse matches the expected file');

      const oneByte = decodeScribbling(splitAt(input.slice(), Array.from(input.keys())));
      assert.deepEqual(oneByte, whole, '1-byte chunks');

      for (let cut = 1; cut < input.length; cut++) {
        const twoPieces = decodeChunks(splitAt(input, [cut]));
        assert.deepEqual(twoPieces, whole, `two pieces cut at byte ${cut}`);
      }

      const seed = 0x5eed + index;
      const random = seededRandom(seed);
      for (let round = 0; round < RANDOM_CHUNKINGS; round++) {
        const offsets = randomChunking(input, random);
        const chunks = [...owned(splitAt(input, offsets), random)];
        const result = decodeScribbling(chunks);
        assert.deepEqual(result, whole, `seed ${seed} round ${round}: cuts at ${offsets.join(',')}`);
      }
    });
  }
});
