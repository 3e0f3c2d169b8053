// Canonical ChatResponse -> the Anthropic message object a non-streaming client receives
// (anthropic-messages.md §5). The id is sluice's own; the model is the name the client asked for.

import { mintId, sanitizeToolId } from '../../core/ids.ts';
import type { FrontContext } from '../../core/protocol.ts';
import type { ChatResponse } from '../../core/response.ts';
import { GEMINI_SIGNATURE_PREFIX } from './decode-request.ts';
import { toAnthropicStopReason } from './finish-reason.ts';
import { toWireUsage } from './usage.ts';
import type { WireResponse, WireResponseBlock } from './wire.ts';

export function encodeAnthropicResponse(resp: ChatResponse, ctx: FrontContext): string {
  const content: WireResponseBlock[] = [];
  for (const b of resp.blocks) {
    switch (b.kind) {
      case 'text':
        // Anthropic never returns empty text blocks and rejects them when the client sends them back.
        if (b.text !== '') content.push({ type: 'text', text: b.text });
        break;
      case 'reasoning':
        content.push({ type: 'thinking', thinking: b.text, signature: b.signature ?? '' });
        break;
      case 'redacted-reasoning':
        content.push({ type: 'redacted_thinking', data: b.data });
        break;
      case 'tool-call':
        if (b.signature) {
          // Same carrier as the stream encoder: a thinking block right before the call (translation.md §9).
          content.push({ type: 'thinking', thinking: '', signature: GEMINI_SIGNATURE_PREFIX + b.signature });
        }
        content.push({ type: 'tool_use', id: sanitizeToolId(b.id), name: b.name, input: toolInput(b.arguments) });
        break;
    }
  }
  const body: WireResponse = {
    id: mintId('msg_'),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: toAnthropicStopReason(resp.finishReason),
    stop_sequence: resp.stopSequence ?? null,
    usage: toWireUsage(resp.usage ?? { inputTokens: 0, outputTokens: 0 }),
  };
  return JSON.stringify(body);
}

/**
 * tool_use.input must be an object. Arguments that are empty, not JSON (truncated output, fine-grained
 * streaming) or not an object become {} (Q-25, translation.md §4 Decision) rather than failing the
 * whole response.
 */
function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
