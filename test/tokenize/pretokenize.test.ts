import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from 'tiktoken';
import { loadEncoder } from '../../src/tokenize/index.ts';
import { MAX_MERGE_BYTES } from '../../src/tokenize/bpe.ts';
import {
  cl100kAsciiPieceEnd,
  cl100kPieceEnd,
  o200kAsciiPieceEnd,
  o200kPieceEnd,
  type PieceScanner,
} from '../../src/tokenize/pretokenize.ts';
import { mulberry32 } from '../helpers/prng.ts';

// OpenAI's split expressions as tiktoken has them, with \s as Unicode White_Space (Rust regex's \s).
const C = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)`;
const O200K = new RegExp(
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${C}?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${C}?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    .replaceAll(String.raw`\s`, String.raw`\p{White_Space}`)
    .replaceAll(String.raw`\S`, String.raw`\P{White_Space}`),
  'gu',
);
const CL100K = new RegExp(
  String.raw`${C}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    .replaceAll(String.raw`\s`, String.raw`\p{White_Space}`)
    .replaceAll(String.raw`\S`, String.raw`\P{White_Space}`),
  'gu',
);

// Every class the expressions distinguish, and the characters where JavaScript and Rust differ
// (U+0085 and U+FEFF), contractions, ſ (folds to s), an astral letter and emoji, a lone surrogate.
const ALPHABET = [
  ...'aAzZqQ09 \t\n\r\v\f/\'"-.,;:!?()[]{}<>|_=+*&^%$#@~`\\',
  "'s", "'S", "'ll", "'LL", "'re", "'ve", "'d", "'m", "'t", "'ſ",
  'é', 'É', 'ß', 'ǅ', 'ʰ', '東', 'ا', 'й', 'Ж', '\u0301', '\u0915\u093f', '١', 'Ⅻ', '½',
  '\u00a0', '\u0085', '\ufeff', '\u2028', '\u3000', '—', '€', '😀', '𝐀', '𝑎', '\ud800',
  '  ', '\n\n', ' \n ', 'the', ' the', 'HTTPServer', 'don', '123456',
];

/** A deterministic random text (mulberry32). */
function randomText(seed: number, parts: number, alphabet = ALPHABET): string {
  const rand = mulberry32(seed);
  let out = '';
  for (let i = 0; i < parts; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
}

/** The scanner's pieces of the text's UTF-8 bytes, as strings. */
function scan(text: string, pieceEnd: PieceScanner): string[] {
  const b = Buffer.from(text, 'utf8');
  const pieces: string[] = [];
  for (let i = 0; i < b.length; ) {
    const e = pieceEnd(b, i, b.length);
    assert.ok(e > i, `no progress at ${i} in ${JSON.stringify(text)}`);
    pieces.push(b.toString('utf8', i, e));
    i = e;
  }
  return pieces;
}

/** The expression's pieces of the text as UTF-8 carries it (a lone surrogate becomes U+FFFD, as tiktoken gets it). */
function split(text: string, re: RegExp): string[] {
  return Buffer.from(text, 'utf8').toString('utf8').match(re) ?? [];
}

const ASCII_ONLY = ALPHABET.filter((a) => /^[\x00-\x7f]+$/.test(a));

for (const [name, re, general, ascii] of [
  ['o200k', O200K, o200kPieceEnd, o200kAsciiPieceEnd],
  ['cl100k', CL100K, cl100kPieceEnd, cl100kAsciiPieceEnd],
] as const) {
  test(`${name} scanners give the split expression's pieces`, () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const text = randomText(seed, 1 + (seed % 40));
      assert.deepEqual(scan(text, general), split(text, re), `seed ${seed}: ${JSON.stringify(text)}`);
      const plain = randomText(seed, 1 + (seed % 40), ASCII_ONLY);
      assert.deepEqual(scan(plain, ascii), split(plain, re), `ascii seed ${seed}: ${JSON.stringify(plain)}`);
    }
  });
}

test('counts equal tiktoken on mixed text, prose, code and other scripts (both vocabularies)', async () => {
  const texts = [
    ...Array.from({ length: 400 }, (_, i) => randomText(10_000 + i, 1 + (i % 200))),
    // Mostly ASCII with a character above U+007F here and there: the ASCII scanner hands over.
    randomText(7, 4000, [...ASCII_ONLY, ...ASCII_ONLY, ...ASCII_ONLY, 'é', '—', '\u00a0', '😀']),
    'Die Straße führt über den Fluss. Ça coûte 12,50 €. Съешь же ещё этих мягких французских булок.\n',
    '東京は日本の首都です。人口は約1400万人。 한국어 문장도 있습니다. हिन्दी में वाक्य। العربية نص.\n',
    'function f(a, b) {\n  return a + b; // sum\n}\n\tconst x = `${y}`;\r\n',
    'hello <|endoftext|> world <|im_start|>user',
  ];
  for (const vocabulary of ['o200k_base', 'cl100k_base'] as const) {
    const encoder = await loadEncoder(vocabulary);
    const ref = get_encoding(vocabulary);
    try {
      for (const t of texts) assert.equal(encoder.countTokens(t), ref.encode_ordinary(t).length, `${vocabulary}: ${JSON.stringify(t.slice(0, 80))}`);
    } finally {
      ref.free();
    }
  }
});

test('a piece longer than the merge window is counted in windows: linear, within 1 %', { timeout: 60_000 }, async () => {
  const encoder = await loadEncoder('o200k_base');
  const ref = get_encoding('o200k_base');
  try {
    for (const text of ['a'.repeat(20_000), 'é'.repeat(5_000), 'Qx'.repeat(4_000)]) {
      assert.ok(text.length > MAX_MERGE_BYTES);
      const exact = ref.encode_ordinary(text).length;
      const n = encoder.countTokens(text);
      assert.ok(Math.abs(n - exact) <= exact * 0.01, `${n} vs ${exact}`);
    }
  } finally {
    ref.free();
  }
  // One 4 MB "word": gpt-tokenizer's whole-piece merge is quadratic and takes minutes here.
  // tiktoken makes a run of a's one token per eight.
  const long = encoder.countTokens('a'.repeat(4_000_000));
  assert.ok(Math.abs(long - 500_000) <= 5_000, String(long));
});
