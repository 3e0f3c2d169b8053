// Local token counting (SPEC §3 count_tokens fallback): see count.ts and docs/token-counting.md.
export { countRequestTokens, countWith, loadEncoder, OFF_THREAD_CHARS, type Encoder, type TokenCount } from './count.ts';
export { vocabularyFor, type Vocabulary } from './families.ts';
export { imageSize, imageTokens, MAX_IMAGE_TOKENS } from './images.ts';
