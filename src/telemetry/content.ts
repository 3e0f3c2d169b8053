// Prompt and answer content for spans, only with `telemetry.content: true` (SPEC §12: never
// otherwise). The shapes are the GenAI conventions' message JSON (docs/telemetry.md): a list of
// `{ role, parts: [{ type, … }] }`; binary data (images, documents) is never copied, only its kind.

import type { ChatRequest, ContentPart } from '../core/request.ts';
import type { ResponseBlock } from '../core/response.ts';

type Part = Record<string, unknown>;

function part(p: ContentPart): Part {
  switch (p.type) {
    case 'text':
      return { type: 'text', content: p.text };
    case 'reasoning':
      return { type: 'reasoning', content: p.text };
    case 'tool-call':
      return { type: 'tool_call', id: p.id, name: p.name, arguments: p.arguments };
    case 'tool-result':
      return { type: 'tool_call_response', id: p.toolCallId, response: p.content.map((c) => (c.type === 'text' ? c.text : '[image]')).join('') };
    case 'image':
      return { type: 'blob', modality: 'image' };
    case 'document':
      return { type: 'blob', modality: 'document', mime_type: p.mediaType };
  }
}

/** `gen_ai.system_instructions` and `gen_ai.input.messages` of a request. */
export function inputMessages(chat: ChatRequest): { system?: string; messages: string } {
  const system: Part[] = [];
  const messages: Array<{ role: string; parts: Part[] }> = [];
  for (const m of chat.messages) {
    if (m.role === 'system') system.push(...m.content.map(part));
    else messages.push({ role: m.role, parts: m.content.map(part) });
  }
  return { system: system.length > 0 ? JSON.stringify(system) : undefined, messages: JSON.stringify(messages) };
}

/** `gen_ai.output.messages` of an answer. */
export function outputMessages(blocks: readonly ResponseBlock[], finishReason: string): string {
  const parts: Part[] = blocks.map((b) => {
    switch (b.kind) {
      case 'text':
        return { type: 'text', content: b.text };
      case 'reasoning':
        return { type: 'reasoning', content: b.text };
      case 'redacted-reasoning':
        return { type: 'reasoning', content: '[redacted]' };
      case 'tool-call':
        return { type: 'tool_call', id: b.id, name: b.name, arguments: b.arguments };
    }
  });
  return JSON.stringify([{ role: 'assistant', parts, finish_reason: finishReason }]);
}
