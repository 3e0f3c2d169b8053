// OpenAI-compatible upstream, non-streaming: a `chat.completion` body -> canonical ChatResponse
// (openai-chat.md §5). An error-shaped 2xx body (Q-2, OpenRouter) is thrown as a GatewayError.

import { GatewayError } from '../../core/errors.ts';
import type { FinishReason } from '../../core/events.ts';
import { mintId } from '../../core/ids.ts';
import type { DecodeContext } from '../../core/protocol.ts';
import type { ChatResponse, ResponseBlock } from '../../core/response.ts';
import { errorFromPayload } from './errors.ts';
import { thoughtSignature } from './extra-content.ts';
import { fromOpenAIFinishReason } from './finish-reason.ts';
import { splitThinkTags } from './think-tags.ts';
import { fromOpenAIUsage } from './usage.ts';

export function decodeOpenAIResponse(body: unknown, ctx: DecodeContext): ChatResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(ctx, 'upstream response is not a JSON object');
  const b = body as Record<string, unknown>;
  if (b.error !== undefined && b.error !== null && b.error !== false) {
    throw errorFromPayload(b.error, ctx, 'upstream answered with an error');
  }
  const choices = Array.isArray(b.choices) ? b.choices : [];
  const choice = choices.find((c: unknown) => isRecord(c) && (c.index === undefined || c.index === 0)) as Record<string, unknown> | undefined;
  if (!choice) throw malformed(ctx, 'upstream response has no choices');
  const message = isRecord(choice.message) ? choice.message : {};

  const blocks: ResponseBlock[] = [];
  let text = '';
  const rc = message.reasoning_content;
  let reasoning = typeof rc === 'string' && rc !== '' ? rc : typeof message.reasoning === 'string' ? message.reasoning : '';
  if (typeof message.content === 'string') {
    text = message.content;
    if (ctx.endpoint.quirks.inlineThinkTags) {
      const split = splitThinkTags(text);
      reasoning += split.reasoning;
      text = split.text;
    }
  }
  if (text === '' && typeof message.refusal === 'string') text = message.refusal;
  if (reasoning !== '') blocks.push({ kind: 'reasoning', text: reasoning });
  if (text !== '') blocks.push({ kind: 'text', text });

  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of calls) {
    if (!isRecord(call)) continue;
    const fn = isRecord(call.function) ? call.function : isRecord(call.custom) ? { name: call.custom.name, arguments: call.custom.input } : {};
    const name = typeof fn.name === 'string' ? fn.name : '';
    if (name === '') throw malformed(ctx, 'upstream returned a tool call without a function name');
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : typeof call.id === 'number' ? String(call.id) : mintId('call_');
    const block: ResponseBlock = { kind: 'tool-call', id, name, arguments: argumentsText(fn.arguments) };
    const signature = thoughtSignature(call.extra_content);
    if (signature !== undefined) block.signature = signature;
    blocks.push(block);
  }
  if (isRecord(message.function_call) && typeof message.function_call.name === 'string') {
    blocks.push({ kind: 'tool-call', id: mintId('call_'), name: message.function_call.name, arguments: argumentsText(message.function_call.arguments) });
  }

  const wireFinish = typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop';
  const mapped = fromOpenAIFinishReason(wireFinish);
  if (mapped === 'error') throw errorFromPayload(undefined, ctx, 'upstream ended the answer with finish_reason "error"');
  // "stop" although the answer called tools.
  const finishReason: FinishReason = mapped === 'stop' && blocks.some((x) => x.kind === 'tool-call') ? 'tool-calls' : mapped;

  const resp: ChatResponse = { blocks, finishReason };
  if (typeof b.id === 'string' && b.id !== '') resp.id = b.id;
  if (typeof b.model === 'string' && b.model !== '') resp.model = b.model;
  const usage = fromOpenAIUsage(b.usage);
  if (usage) resp.usage = usage;
  return resp;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function argumentsText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return '';
}

function malformed(ctx: DecodeContext, message: string): GatewayError {
  return new GatewayError('upstream_malformed', message, { target: ctx.provider });
}
