// OpenAI front, non-streaming: canonical ChatResponse -> `chat.completion` (openai-chat.md §5).

import { mintId } from '../../core/ids.ts';
import type { FrontContext } from '../../core/protocol.ts';
import type { ChatResponse } from '../../core/response.ts';
import { extraContent } from './extra-content.ts';
import { toOpenAIFinishReason } from './finish-reason.ts';
import { toOpenAIUsage } from './usage.ts';
import type { WireCompletion, WireToolCall } from './wire.ts';

export function encodeOpenAIResponse(resp: ChatResponse, ctx: FrontContext): string {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: WireToolCall[] = [];
  for (const b of resp.blocks) {
    switch (b.kind) {
      case 'text':
        texts.push(b.text);
        break;
      case 'reasoning':
        reasoning.push(b.text);
        break;
      case 'tool-call': {
        const call: WireToolCall = { id: b.id, type: 'function', function: { name: b.name, arguments: b.arguments } };
        if (b.signature) call.extra_content = extraContent(b.signature);
        toolCalls.push(call);
        break;
      }
      case 'redacted-reasoning':
        break;
    }
  }
  const message: WireCompletion['choices'][number]['message'] = {
    role: 'assistant',
    // null when only tool calls were produced (openai-chat.md §5).
    content: texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : '',
    refusal: null,
  };
  if (ctx.includeReasoning && reasoning.length > 0) message.reasoning_content = reasoning.join('');
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  // a turn that called tools ends with tool_calls even when the upstream said "stop".
  const stopped = resp.finishReason === 'stop' || resp.finishReason === 'stop-sequence';
  const finishReason = toolCalls.length > 0 && stopped ? 'tool_calls' : toOpenAIFinishReason(resp.finishReason);
  const body: WireCompletion = {
    id: mintId('chatcmpl-'),
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
  };
  if (resp.usage) body.usage = toOpenAIUsage(resp.usage);
  return JSON.stringify(body);
}
