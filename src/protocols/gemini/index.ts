// Google Gemini (`generateContent` / `streamGenerateContent?alt=sse`), upstream side only: sluice
// speaks Gemini to generativelanguage.googleapis.com; clients never speak Gemini to sluice.

import type { UpstreamCodec } from '../../core/protocol.ts';
import { buildGeminiRequest } from './encode-request.ts';
import { createGeminiStreamDecoder } from './decode-stream.ts';
import { decodeGeminiResponse } from './decode-response.ts';
import { decodeGeminiError } from './errors.ts';

export const geminiUpstream: UpstreamCodec = {
  name: 'gemini',
  buildRequest: buildGeminiRequest,
  createStreamDecoder: (emit) => createGeminiStreamDecoder(emit),
  decodeResponse: (body) => decodeGeminiResponse(body),
  decodeError: (status, bodyText, headers) => decodeGeminiError(status, bodyText, headers),
};
