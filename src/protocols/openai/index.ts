// The OpenAI Chat Completions dialect, as a front (clients speak it to sluice) and as an upstream
// (sluice speaks it to OpenAI-compatible servers). openai-chat.md is the wire reference.

import type { FrontCodec, UpstreamCodec } from '../../core/protocol.ts';
import { decodeOpenAIRequest } from './decode-request.ts';
import { decodeOpenAIResponse } from './decode-response.ts';
import { createOpenAIStreamDecoder } from './decode-stream.ts';
import { buildOpenAIRequest } from './encode-request.ts';
import { encodeOpenAIResponse } from './encode-response.ts';
import { createOpenAIStreamEncoder } from './encode-stream.ts';
import { decodeUpstreamError, encodeOpenAIError } from './errors.ts';

export const openaiFront: FrontCodec = {
  name: 'openai',
  decodeRequest: decodeOpenAIRequest,
  createStreamEncoder: createOpenAIStreamEncoder,
  encodeResponse: encodeOpenAIResponse,
  encodeError: encodeOpenAIError,
};

export const openaiUpstream: UpstreamCodec = {
  name: 'openai',
  buildRequest: buildOpenAIRequest,
  createStreamDecoder: createOpenAIStreamDecoder,
  decodeResponse: decodeOpenAIResponse,
  decodeError: decodeUpstreamError,
};
