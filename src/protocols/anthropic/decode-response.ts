// A complete (non-streaming) Anthropic message -> canonical ChatResponse (anthropic-messages.md §5).
// Checked once per request, so zod is affordable here; unknown fields and block types are tolerated.

import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/protocol.ts';
import type { ChatResponse, ResponseBlock } from '../../core/response.ts';
import { decodeAnthropicError, statusForErrorType } from './errors.ts';
import { fromAnthropicStopReason } from './finish-reason.ts';
import { readUsageCounts, toCanonicalUsage } from './usage.ts';
import { ResponseSchema } from './wire.ts';

export function decodeAnthropicResponse(body: unknown, ctx: DecodeContext): ChatResponse {
  const error = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).error : undefined;
  if ((body as Record<string, unknown> | null)?.type === 'error' || (error !== undefined && error !== null)) {
    // An error-shaped body with a 2xx status: classify it by its error.type (§7 table).
    const type = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).type : undefined;
    throw decodeAnthropicError(statusForErrorType(typeof type === 'string' ? type : undefined), JSON.stringify(body), {});
  }
  const parsed = ResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new GatewayError('upstream_malformed', `${ctx.provider} returned a response that is not an Anthropic message`);
  }
  const msg = parsed.data;
  const blocks: ResponseBlock[] = [];
  for (const b of msg.content as Array<Record<string, unknown>>) {
    switch (b.type) {
      case 'text':
        if (typeof b.text === 'string') blocks.push({ kind: 'text', text: b.text });
        break;
      case 'thinking':
        blocks.push({
          kind: 'reasoning',
          text: typeof b.thinking === 'string' ? b.thinking : '',
          ...(typeof b.signature === 'string' && b.signature !== '' ? { signature: b.signature } : {}),
        });
        break;
      case 'redacted_thinking':
        if (typeof b.data === 'string') blocks.push({ kind: 'redacted-reasoning', data: b.data });
        break;
      case 'tool_use':
        if (typeof b.id === 'string' && typeof b.name === 'string') {
          blocks.push({ kind: 'tool-call', id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
        }
        break;
      default:
        break; // server-tool blocks and future types have no canonical form
    }
  }
  const resp: ChatResponse = {
    blocks,
    finishReason: msg.stop_reason ? fromAnthropicStopReason(msg.stop_reason) : 'stop',
  };
  if (msg.id !== undefined) resp.id = msg.id;
  if (msg.model !== undefined) resp.model = msg.model;
  if (typeof msg.stop_sequence === 'string') resp.stopSequence = msg.stop_sequence;
  const counts = readUsageCounts(msg.usage);
  if (counts) resp.usage = toCanonicalUsage(counts);
  // a turn that called tools is a tool turn, whatever stop_reason said.
  if (blocks.some((b) => b.kind === 'tool-call') && (resp.finishReason === 'stop' || resp.finishReason === 'stop-sequence')) {
    resp.finishReason = 'tool-calls';
  }
  return resp;
}
