// Canonical ChatResponse -> the Cohere v2 chat response a non-streaming client receives
// (docs/protocols/cohere.md §3, §10). The id is sluice's own. Text stays in `content` even when tool
// calls follow, as the stream encoder writes it, so both forms of an answer agree.

import { randomUUID } from 'node:crypto';
import type { FrontContext } from '../../core/protocol.ts';
import type { ChatResponse } from '../../core/response.ts';
import { toCohereFinishReason } from './finish-reason.ts';
import { toCohereUsage } from './usage.ts';
import type { WireResponse, WireTextPart, WireThinkingPart, WireToolCall } from './wire.ts';

export function encodeCohereResponse(resp: ChatResponse, _ctx: FrontContext): string {
  const content: Array<WireTextPart | WireThinkingPart> = [];
  const calls: WireToolCall[] = [];
  for (const b of resp.blocks) {
    switch (b.kind) {
      case 'text':
        if (b.text !== '') content.push({ type: 'text', text: b.text });
        break;
      case 'reasoning':
        if (b.text !== '') content.push({ type: 'thinking', thinking: b.text });
        break;
      case 'tool-call':
        calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: b.arguments.trim() === '' ? '{}' : b.arguments } });
        break;
      case 'redacted-reasoning':
        break; // no Cohere form
    }
  }
  const body: WireResponse = {
    id: randomUUID(),
    finish_reason: toCohereFinishReason(resp.finishReason),
    message: { role: 'assistant', content },
    usage: toCohereUsage(resp.usage),
  };
  if (calls.length > 0) body.message.tool_calls = calls;
  return JSON.stringify(body);
}
