// Canonical events -> Cohere v2 chat SSE for clients (docs/protocols/cohere.md §4, §6, §10). Every
// event has an `event:` line equal to its type and one `data:` line (the SDK reads one line per
// event). Text and thinking blocks are content blocks (numbered from 0), tool calls are numbered
// separately; message-end carries finish_reason and usage. No [DONE]: Cohere sends none.
// Hot path: a delta is one concatenation of per-block constant text and JSON.stringify(the text).

import type { BlockStart, StreamEvent, Usage } from '../../core/events.ts';
import { randomUUID } from 'node:crypto';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import { encodeCohereStreamError } from './errors.ts';
import { toCohereFinishReason } from './finish-reason.ts';
import { cohereUsageJson } from './usage.ts';

const CONTENT_DELTA_HEAD = 'event: content-delta\ndata: {"type":"content-delta","index":';
const TOOL_DELTA_HEAD = 'event: tool-call-delta\ndata: {"type":"tool-call-delta","index":';
const TEXT_KEY = ',"delta":{"message":{"content":{"text":';
const THINKING_KEY = ',"delta":{"message":{"content":{"thinking":';
const ARGS_KEY = ',"delta":{"message":{"tool_calls":{"function":{"arguments":';
const CONTENT_END = '}}}}\n\n';
const ARGS_END = '}}}}}\n\n';

/** What the open block is, so block-end and deltas know which event family to write. */
type Open =
  | { kind: 'none' }
  | { kind: 'content'; index: number; head: string }
  | { kind: 'tool'; index: number; head: string }
  /** Redacted reasoning has no Cohere form: its block is swallowed. */
  | { kind: 'skipped' };

const NONE: Open = { kind: 'none' };
const SKIPPED: Open = { kind: 'skipped' };

/**
 * The SDK ends its stream at any data line that contains `[DONE]` (§6); `\u005b` is the same JSON
 * string without those bytes. Only text the model wrote can contain it.
 */
export function guardDone(json: string): string {
  return json.includes('[DONE]') ? json.replaceAll('[DONE]', '\\u005bDONE]') : json;
}

export function createCohereStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const id = randomUUID();
  let started = false;
  let ended = false;
  let open: Open = NONE;
  let contentCount = 0;
  let toolCount = 0;
  let usage: Usage | undefined;
  let finishReason = 'COMPLETE';

  const writeMessageStart = (): void => {
    started = true;
    out.write(
      'event: message-start\ndata: {"id":' +
        JSON.stringify(id) +
        ',"type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}\n\n',
    );
  };

  const closeBlock = (): void => {
    if (open.kind === 'content') out.write(`event: content-end\ndata: {"type":"content-end","index":${open.index}}\n\n`);
    else if (open.kind === 'tool') out.write(`event: tool-call-end\ndata: {"type":"tool-call-end","index":${open.index}}\n\n`);
    open = NONE;
  };

  const startBlock = (block: BlockStart): void => {
    switch (block.kind) {
      case 'text':
      case 'reasoning': {
        const index = contentCount++;
        const type = block.kind === 'text' ? 'text' : 'thinking';
        out.write(
          `event: content-start\ndata: {"type":"content-start","index":${index},"delta":{"message":{"content":{"type":"${type}","${type}":""}}}}\n\n`,
        );
        open = { kind: 'content', index, head: CONTENT_DELTA_HEAD + index + (block.kind === 'text' ? TEXT_KEY : THINKING_KEY) };
        return;
      }
      case 'tool-call': {
        const index = toolCount++;
        out.write(
          `event: tool-call-start\ndata: {"type":"tool-call-start","index":${index},"delta":{"message":{"tool_calls":{"id":` +
            JSON.stringify(block.id) +
            ',"type":"function","function":{"name":' +
            JSON.stringify(block.name) +
            ',"arguments":""}}}}}\n\n',
        );
        open = { kind: 'tool', index, head: TOOL_DELTA_HEAD + index + ARGS_KEY };
        return;
      }
      case 'redacted-reasoning':
        open = SKIPPED;
        return;
    }
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'text-delta':
      case 'reasoning-delta':
        if (open.kind === 'content') out.write(open.head + guardDone(JSON.stringify(ev.text)) + CONTENT_END);
        return;
      case 'tool-args-delta':
        if (open.kind === 'tool') out.write(open.head + guardDone(JSON.stringify(ev.json)) + ARGS_END);
        return;
      case 'signature-delta':
        return; // Cohere thinking carries no signature
      case 'message-start':
        if (!started) writeMessageStart();
        return;
      case 'block-start':
        if (!started) writeMessageStart();
        closeBlock();
        startBlock(ev.block);
        return;
      case 'block-end':
        closeBlock();
        return;
      case 'usage':
        usage = ev.usage;
        return;
      case 'finish':
        finishReason = toCohereFinishReason(ev.reason);
        return;
      case 'done':
        if (!started) writeMessageStart();
        closeBlock();
        ended = true;
        out.write(
          'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"' +
            finishReason +
            '","usage":' +
            cohereUsageJson(usage) +
            '}}\n\n',
        );
        return;
      case 'error':
        // A text block is closed so clients keep what streamed; an open tool call is not, since its
        // arguments may be incomplete and an end would present it as a finished call (SPEC §4.5).
        if (open.kind !== 'tool') closeBlock();
        ended = true;
        out.write(encodeCohereStreamError(ev.error));
        return;
    }
  };
}
