// SSE as an upstream framing (core/protocol.ts Framing): the WHATWG decoder cuts the body into
// events; a text framing, so a whole JSON body standing in for the stream is sniffed first.

import type { Framing } from '../core/protocol.ts';
import { SseDecoder } from './decoder.ts';

export const sseFraming: Framing = {
  name: 'sse',
  sniffJson: true,
  create: (handler) => new SseDecoder(handler),
};
