// ChatResponse -> a Converse response body for Bedrock clients (bedrock.md §4).

import type { FrontContext } from '../../core/protocol.ts';
import type { ChatResponse } from '../../core/response.ts';
import { toBedrockStopReason } from './finish-reason.ts';
import { toWireUsage } from './usage.ts';
import type { WireContentBlock } from './wire.ts';

export function encodeConverseResponse(resp: ChatResponse, ctx: FrontContext): string {
  const content: WireContentBlock[] = [];
  for (const b of resp.blocks) {
    switch (b.kind) {
      case 'text':
        content.push({ text: b.text });
        break;
      case 'reasoning':
        content.push({ reasoningContent: { reasoningText: b.signature === undefined ? { text: b.text } : { text: b.text, signature: b.signature } } });
        break;
      case 'redacted-reasoning':
        content.push({ reasoningContent: { redactedContent: b.data } });
        break;
      case 'tool-call':
        content.push({ toolUse: { toolUseId: b.id, name: b.name, input: parseInput(b.arguments) } });
        break;
    }
  }
  const body: Record<string, unknown> = {
    output: { message: { role: 'assistant', content } },
    stopReason: toBedrockStopReason(resp.finishReason),
    usage: toWireUsage(resp.usage ?? { inputTokens: 0, outputTokens: 0 }),
    metrics: { latencyMs: Math.max(0, Date.now() - ctx.created * 1000) },
  };
  if (resp.stopSequence !== undefined) body.additionalModelResponseFields = { stop_sequence: resp.stopSequence };
  return JSON.stringify(body);
}

/** toolUse.input is a JSON object in a Converse response; arguments that are not one are sent as {}. */
function parseInput(args: string): unknown {
  try {
    const v: unknown = JSON.parse(args === '' ? '{}' : args);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
