// A complete answer -> one GenerateContentResponse for `generateContent` (gemini.md §3, §8.4): the
// same parts, finishReason and usageMetadata the stream would have carried, in one candidate.

import type { ChatResponse } from '../../core/response.ts';
import type { FrontContext } from '../../core/protocol.ts';
import type { ReasoningPart } from '../../core/request.ts';
import { packReasoning } from './carrier.ts';
import { argsJson } from './encode-stream.ts';
import { toGeminiFinishReason } from './finish-reason.ts';
import { toGeminiUsage } from './usage.ts';

type Part = Record<string, unknown>;

export function encodeGeminiResponse(resp: ChatResponse, ctx: FrontContext): string {
  const parts: Part[] = [];
  let step: ReasoningPart[] = [];
  let firstCallOfStep = true;
  for (const b of resp.blocks) {
    switch (b.kind) {
      case 'text':
        firstCallOfStep = true;
        if (b.text !== '') parts.push({ text: b.text });
        break;
      case 'reasoning':
        firstCallOfStep = true;
        step.push({ type: 'reasoning', text: b.text, ...(b.signature !== undefined ? { signature: b.signature } : {}) });
        if (ctx.includeReasoning && b.text !== '') parts.push({ text: b.text, thought: true });
        break;
      case 'redacted-reasoning':
        firstCallOfStep = true;
        step.push({ type: 'reasoning', text: '', redactedData: b.data });
        break;
      case 'tool-call': {
        const signature = b.signature ?? (firstCallOfStep ? packReasoning(step) : undefined);
        firstCallOfStep = false;
        step = [];
        const part: Part = { functionCall: { id: b.id, name: b.name, args: JSON.parse(argsJson(b.arguments)) as unknown } };
        if (signature !== undefined) part.thoughtSignature = signature;
        parts.push(part);
        break;
      }
    }
  }
  if (parts.length === 0) parts.push({ text: '' });
  const body: Record<string, unknown> = {
    candidates: [{ content: { role: 'model', parts }, finishReason: toGeminiFinishReason(resp.finishReason), index: 0 }],
  };
  if (resp.usage) body.usageMetadata = toGeminiUsage(resp.usage);
  body.modelVersion = ctx.model;
  body.responseId = ctx.requestId;
  return JSON.stringify(body);
}
