// Canonical events -> Anthropic SSE for clients (anthropic-messages.md §6, §8, §11). Every event has
// an `event:` line equal to its data.type: the official SDK drops data-only events (openclaw#37571)
// and Claude Code silently falls back to non-streaming. Never `[DONE]`.
//
// Block indices are this encoder's own: a tool call carrying a Gemini thought signature is preceded by
// a synthetic thinking block, which shifts every later index (the SDK requires index == position).
// Hot path: a delta is one concatenation of per-block constant text and JSON.stringify(the text).

import type { BlockStart, StreamEvent, Usage } from '../../core/events.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import { mintId, sanitizeToolId } from '../../core/ids.ts';
import { GEMINI_SIGNATURE_PREFIX } from './decode-request.ts';
import { encodeStreamError } from './errors.ts';
import { toAnthropicStopReason } from './finish-reason.ts';
import { toWireUsage } from './usage.ts';

const BLOCK_START_HEAD = 'event: content_block_start\ndata: {"type":"content_block_start","index":';
const BLOCK_DELTA_HEAD = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":';
const BLOCK_STOP_HEAD = 'event: content_block_stop\ndata: {"type":"content_block_stop","index":';
const EVENT_END = '}\n\n';
const DELTA_END = '}}\n\n';
const TEXT_DELTA = 'text_delta","text":';
const THINKING_DELTA = 'thinking_delta","thinking":';
const SIGNATURE_DELTA = 'signature_delta","signature":';
const INPUT_JSON_DELTA = 'input_json_delta","partial_json":';
const TEXT_BLOCK = ',"content_block":{"type":"text","text":""}';
const THINKING_BLOCK = ',"content_block":{"type":"thinking","thinking":"","signature":""}';
const MESSAGE_STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

export function createAnthropicStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const id = mintId('msg_');
  let started = false;
  let ended = false;
  let nextIndex = 0;
  /** Output index of the open block, or -1. */
  let open = -1;
  /** `…"index":N,"delta":{"type":"` for the open block, built once per block. */
  let deltaHead = '';
  /** deltaHead with the text delta's type and key: the head of nearly every event of an answer. */
  let textHead = '';
  let startUsage: Usage | undefined;
  let lastUsage: Usage | undefined;
  let openIsTool = false;
  let stopReason = 'end_turn';
  let stopSequence: string | undefined;

  const writeMessageStart = (): void => {
    started = true;
    out.write(
      'event: message_start\ndata: {"type":"message_start","message":{"id":' +
        JSON.stringify(id) +
        ',"type":"message","role":"assistant","model":' +
        JSON.stringify(ctx.model) +
        ',"content":[],"stop_reason":null,"stop_sequence":null,"usage":' +
        startUsageJson(startUsage) +
        '}}\n\n',
    );
  };

  const openBlock = (contentBlock: string, isTool = false): number => {
    const index = nextIndex++;
    open = index;
    openIsTool = isTool;
    deltaHead = `${BLOCK_DELTA_HEAD}${index},"delta":{"type":"`;
    textHead = deltaHead + TEXT_DELTA;
    out.write(BLOCK_START_HEAD + index + contentBlock + EVENT_END);
    return index;
  };

  const closeBlock = (): void => {
    if (open < 0) return;
    out.write(BLOCK_STOP_HEAD + open + EVENT_END);
    open = -1;
  };

  const startBlock = (block: BlockStart): void => {
    switch (block.kind) {
      case 'text':
        openBlock(TEXT_BLOCK);
        return;
      case 'reasoning':
        openBlock(THINKING_BLOCK);
        return;
      case 'redacted-reasoning':
        openBlock(`,"content_block":{"type":"redacted_thinking","data":${JSON.stringify(block.data)}}`);
        return;
      case 'tool-call':
        if (block.signature) {
          // The client returns thinking blocks verbatim, so the signature comes back with the call
          // (translation.md §9; decode-request.ts strips the prefix).
          openBlock(THINKING_BLOCK);
          out.write(deltaHead + SIGNATURE_DELTA + JSON.stringify(GEMINI_SIGNATURE_PREFIX + block.signature) + DELTA_END);
          closeBlock();
        }
        openBlock(
          `,"content_block":{"type":"tool_use","id":${JSON.stringify(sanitizeToolId(block.id))},"name":${JSON.stringify(block.name)},"input":{}}`,
          true,
        );
        return;
    }
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'text-delta':
        if (open >= 0) out.write(textHead + JSON.stringify(ev.text) + DELTA_END);
        return;
      case 'reasoning-delta':
        if (open >= 0) out.write(deltaHead + THINKING_DELTA + JSON.stringify(ev.text) + DELTA_END);
        return;
      case 'tool-args-delta':
        if (open >= 0) out.write(deltaHead + INPUT_JSON_DELTA + JSON.stringify(ev.json) + DELTA_END);
        return;
      case 'signature-delta':
        if (open >= 0) out.write(deltaHead + SIGNATURE_DELTA + JSON.stringify(ev.signature) + DELTA_END);
        return;
      case 'message-start':
        if (started) return;
        startUsage = ev.usage;
        writeMessageStart();
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
        lastUsage = ev.usage;
        return;
      case 'finish':
        stopReason = toAnthropicStopReason(ev.reason);
        stopSequence = ev.stopSequence;
        return;
      case 'done':
        if (!started) writeMessageStart();
        closeBlock();
        ended = true;
        out.write(
          'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":' +
            JSON.stringify(stopReason) +
            ',"stop_sequence":' +
            (stopSequence === undefined ? 'null' : JSON.stringify(stopSequence)) +
            '},"usage":' +
            finalUsageJson(lastUsage ?? startUsage) +
            '}\n\n',
        );
        out.write(MESSAGE_STOP);
        return;
      case 'error':
        // Claude Code loses a block's text without its stop (§11), so close a text or thinking
        // block before the error. A tool_use block is left open: its input may be incomplete, and
        // a stop would present it as a finished call (SPEC §4.5).
        if (!openIsTool) closeBlock();
        ended = true;
        out.write(encodeStreamError(ev.error));
        return;
    }
  };
}

/**
 * message_start usage: the input split if the upstream already reported it (Anthropic does), else 0;
 * the real numbers follow in message_delta, which current SDKs copy over (translation.md §7).
 */
function startUsageJson(u: Usage | undefined): string {
  if (!u) return '{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}';
  const w = toWireUsage(u);
  return `{"input_tokens":${w.input_tokens},"cache_creation_input_tokens":${w.cache_creation_input_tokens},"cache_read_input_tokens":${w.cache_read_input_tokens},"output_tokens":1}`;
}

/** §8: message_delta must carry usage.output_tokens; input and cache fields overwrite message_start's. */
function finalUsageJson(u: Usage | undefined): string {
  const w = toWireUsage(u ?? { inputTokens: 0, outputTokens: 0 });
  const details = w.output_tokens_details === undefined ? '' : `,"output_tokens_details":{"thinking_tokens":${w.output_tokens_details.thinking_tokens}}`;
  return `{"input_tokens":${w.input_tokens},"cache_creation_input_tokens":${w.cache_creation_input_tokens},"cache_read_input_tokens":${w.cache_read_input_tokens},"output_tokens":${w.output_tokens}${details}}`;
}
