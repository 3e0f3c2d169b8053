// Server-Sent Events framing only; no LLM knowledge (docs/style.md).
export { SseDecoder, SseEventTooLargeError, DEFAULT_MAX_EVENT_BYTES } from './decoder.ts';
export type { SseHandler, SseDecoderOptions } from './decoder.ts';
export { encodeData, encodeEvent, encodeComment, KEEPALIVE } from './encoder.ts';
export { splitGluedJson } from './glued.ts';
