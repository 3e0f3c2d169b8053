// A complete (non-streaming) Cohere v2 chat response -> canonical ChatResponse
// (docs/protocols/cohere.md §3). Checked once per request, so zod is affordable here.

import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/protocol.ts';
import type { ChatResponse, ResponseBlock } from '../../core/response.ts';
import { cohereStreamError, readErrorMessage } from './errors.ts';
import { fromCohereFinishReason, isFailureFinish } from './finish-reason.ts';
import { readCohereUsage } from './usage.ts';
import { ResponseSchema } from './wire.ts';

export function decodeCohereResponse(body: unknown, ctx: DecodeContext): ChatResponse {
  const parsed = ResponseSchema.safeParse(body);
  if (!parsed.success) {
    // An error-shaped body with a 2xx status (a relay): its message, as an upstream error.
    const message = readErrorMessage(body);
    if (message !== undefined) throw new GatewayError('upstream_error', message);
    throw new GatewayError('upstream_malformed', `${ctx.provider} returned a response that is not a Cohere chat response`);
  }
  const r = parsed.data;
  const reason = r.finish_reason ?? 'COMPLETE';
  if (isFailureFinish(reason)) throw cohereStreamError(reason, undefined, ctx.provider);

  const blocks: ResponseBlock[] = [];
  const texts: ResponseBlock[] = [];
  for (const part of r.message.content ?? []) {
    const p = part as Record<string, unknown>;
    if (p.type === 'thinking' && typeof p.thinking === 'string' && p.thinking !== '') blocks.push({ kind: 'reasoning', text: p.thinking });
    else if (p.type === 'text' && typeof p.text === 'string' && p.text !== '') texts.push({ kind: 'text', text: p.text });
  }
  // Thinking first, then the plan, then the answer (the stream's order, §4).
  if (r.message.tool_plan) blocks.push({ kind: 'text', text: r.message.tool_plan });
  blocks.push(...texts);
  for (const call of r.message.tool_calls ?? []) {
    const fn = (call.function ?? {}) as Record<string, unknown>;
    if (typeof call.id !== 'string' || typeof fn.name !== 'string') {
      throw new GatewayError('upstream_malformed', `${ctx.provider} returned a tool call without id or name`);
    }
    const args = typeof fn.arguments === 'string' ? fn.arguments.trim() : '';
    blocks.push({ kind: 'tool-call', id: call.id, name: fn.name, arguments: args === '' || args === 'null' ? '{}' : fn.arguments as string });
  }
  const resp: ChatResponse = { blocks, finishReason: fromCohereFinishReason(reason) };
  if (r.id) resp.id = r.id;
  const usage = readCohereUsage(r.usage);
  if (usage) resp.usage = usage;
  // A turn that called tools is a tool turn, whatever finish_reason said.
  if (blocks.some((b) => b.kind === 'tool-call') && (resp.finishReason === 'stop' || resp.finishReason === 'stop-sequence')) {
    resp.finishReason = 'tool-calls';
  }
  return resp;
}
