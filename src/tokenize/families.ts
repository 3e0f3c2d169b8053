// Which BPE vocabulary estimates a model's tokens (docs/token-counting.md). OpenAI publishes its
// vocabularies, so OpenAI models are counted exactly for text; every other family is an estimate
// with the published vocabulary nearest in size and behaviour:
// - o200k_base: GPT-4o, GPT-4.1/4.5/5, o-series, gpt-oss; also Gemini/Gemma (~256k SentencePiece
//   vocabularies), Llama 3 (128k), Qwen (151k), DeepSeek, Mistral and anything unknown.
// - cl100k_base: GPT-4, GPT-3.5, text-embedding-3/ada-002; also Claude, whose tokenizer is not
//   published and whose counts run above o200k's on the same text.

export type Vocabulary = 'o200k_base' | 'cl100k_base';

const CL100K_PREFIXES = ['gpt-3.5', 'text-embedding-3', 'text-embedding-ada', 'claude'];

/** The vocabulary for a model name; a `provider/` or `models/` prefix and Bedrock region/vendor prefixes are ignored. */
export function vocabularyFor(model: string): Vocabulary {
  const name = model.toLowerCase().replace(/^.*\//, '').replace(/^(?:[a-z]{2}\.)?anthropic\./, 'claude-');
  // gpt-4 and gpt-4-turbo are cl100k; gpt-4o and gpt-4.1/4.5 are o200k.
  if (name === 'gpt-4' || name.startsWith('gpt-4-')) return 'cl100k_base';
  for (const p of CL100K_PREFIXES) if (name.startsWith(p)) return 'cl100k_base';
  return 'o200k_base';
}
