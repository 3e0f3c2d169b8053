// OpenAI front, streaming: normalized canonical events -> `chat.completion.chunk` SSE (SPEC §4.1,
// openai-chat.md §6 and its §9 checklist). Every chunk shares one precomputed prefix (id, created,
// model) and one suffix; only the variable piece is serialised per event. Block events are dropped:
// OpenAI has no blocks, and its tool-call `index` counts tool calls only (SPEC §4.5).

import type { StreamEvent, Usage } from '../../core/events.ts';
import { mintId } from '../../core/ids.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import { encodeOpenAIStreamError } from './errors.ts';
import { toOpenAIFinishReason } from './finish-reason.ts';
import { toOpenAIUsage } from './usage.ts';

const DONE = 'data: [DONE]\n\n';
const ROLE_DELTA = '{"role":"assistant","content":""}';

/**
 * `before-role`: the role chunk is held until the first output shows whether its `content` is ""
 * (text) or null (a tool call, which then rides in the same chunk, as OpenAI does).
 */
type State = 'before-role' | 'streaming' | 'ended';

export function createOpenAIStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const id = mintId('chatcmpl-');
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${ctx.created},"model":${JSON.stringify(ctx.model)}`;
  const usageNull = ctx.includeUsage ? ',"usage":null' : '';
  /** `data: {…"choices":[{"index":0,"delta":` — the delta JSON follows. */
  const prefix = `data: ${head},"choices":[{"index":0,"delta":`;
  const suffix = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  // The text chunk, nearly every event of an answer: one concatenation around the escaped text.
  const textPrefix = `${prefix}{"content":`;
  const textSuffix = `}${suffix}`;

  let state: State = 'before-role';
  /** OpenAI tool index of the next tool call (0, 1, … whatever the canonical block index). */
  let nextTool = 0;
  /** Canonical block index of the open tool call, and the constant head of its argument fragments. */
  let toolBlock = -1;
  let toolArgsHead = '';
  let finished = false;
  let usage: Usage | undefined;

  const chunk = (delta: string): void => out.write(prefix + delta + suffix);
  /** Writes the role chunk unless it went out already (it is the first chunk whatever comes first). */
  const flushRole = (): void => {
    if (state !== 'streaming') {
      state = 'streaming';
      chunk(ROLE_DELTA);
    }
  };
  const finish = (reason: string): void => {
    finished = true;
    out.write(`${prefix}{},"logprobs":null,"finish_reason":"${reason}"}]${usageNull}}\n\n`);
  };

  return (ev: StreamEvent): void => {
    if (state === 'ended') return;
    switch (ev.type) {
      case 'message-start':
        return;
      case 'block-start': {
        if (ev.block.kind !== 'tool-call') {
          // Text (and shown reasoning) open with the role chunk; their deltas carry the content.
          if (ev.block.kind === 'text' || (ev.block.kind === 'reasoning' && ctx.includeReasoning)) flushRole();
          return;
        }
        const toolIndex = nextTool++;
        toolBlock = ev.index;
        toolArgsHead = `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":`;
        const extra = ev.block.signature
          ? `,"extra_content":{"google":{"thought_signature":${JSON.stringify(ev.block.signature)}}}`
          : '';
        const call = `[{"index":${toolIndex},"id":${JSON.stringify(ev.block.id)},"type":"function","function":{"name":${JSON.stringify(ev.block.name)},"arguments":""}${extra}}]`;
        if (state === 'streaming') {
          chunk(`{"tool_calls":${call}}`);
        } else {
          // The first output is a tool call: the role chunk carries it, with content null (openai-chat.md §9.1).
          state = 'streaming';
          chunk(`{"role":"assistant","content":null,"tool_calls":${call}}`);
        }
        return;
      }
      case 'text-delta':
        flushRole();
        out.write(textPrefix + JSON.stringify(ev.text) + textSuffix);
        return;
      case 'reasoning-delta':
        // Reasoning text has no standard OpenAI slot: `reasoning_content` when the client opted in
        // (translation.md §9), else dropped.
        if (!ctx.includeReasoning) return;
        flushRole();
        chunk(`{"reasoning_content":${JSON.stringify(ev.text)}}`);
        return;
      case 'tool-args-delta':
        if (ev.index !== toolBlock) return;
        chunk(`${toolArgsHead}${JSON.stringify(ev.json)}}}]}`);
        return;
      case 'block-end':
        if (ev.index === toolBlock) toolBlock = -1;
        return;
      case 'signature-delta':
        // Reasoning signatures (Anthropic) cannot travel through an OpenAI client.
        return;
      case 'usage':
        usage = ev.usage;
        return;
      case 'finish':
        if (finished) return;
        flushRole();
        finish(toOpenAIFinishReason(ev.reason));
        return;
      case 'done':
        if (!finished) {
          // The normalizer always sends finish first; this only guards clients that throw on a
          // choice without finish_reason (openai-node ChatCompletionStream).
          flushRole();
          finish('stop');
        }
        state = 'ended';
        if (ctx.includeUsage && usage) out.write(`data: ${head},"choices":[],"usage":${JSON.stringify(toOpenAIUsage(usage))}}\n\n`);
        out.write(DONE);
        return;
      case 'error':
        state = 'ended';
        out.write(encodeOpenAIStreamError(ev.error));
        return;
    }
  };
}
