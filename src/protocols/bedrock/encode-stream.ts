// Canonical events -> ConverseStream for Bedrock clients (bedrock.md §5, §6): one event-stream message
// per event, in the shapes the AWS SDK deserialises. As the real service does, text and reasoning
// blocks get no contentBlockStart (their first delta opens them), tool blocks do; messageStop carries
// the stop reason and metadata the usage, last. A failure after the commit point is an exception
// message, then the body ends.
// Hot path: a text delta is one string concatenation, JSON.stringify of the text and one message encode.

import type { StreamEvent, Usage } from '../../core/events.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import { encodeEvent, encodeException } from './event-stream.ts';
import { streamExceptionFor } from './errors.ts';
import { toBedrockStopReason } from './finish-reason.ts';
import { toWireUsage } from './usage.ts';

const MESSAGE_START = '{"role":"assistant"}';

export function createConverseStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const startedAt = Date.now();
  let ended = false;
  /** `{"contentBlockIndex":N,"delta":` for the open block. */
  let deltaHead = '';
  let usage: Usage | undefined;
  let stopped = false;

  const bytes = byteOutput(out);
  const write = (type: string, json: string): void => {
    bytes(encodeEvent(type, json));
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'message-start':
        write('messageStart', MESSAGE_START);
        return;
      case 'block-start':
        deltaHead = `{"contentBlockIndex":${ev.index},"delta":`;
        if (ev.block.kind === 'tool-call') {
          write(
            'contentBlockStart',
            `{"contentBlockIndex":${ev.index},"start":{"toolUse":{"toolUseId":${JSON.stringify(ev.block.id)},"name":${JSON.stringify(ev.block.name)}}}}`,
          );
        } else if (ev.block.kind === 'redacted-reasoning') {
          write('contentBlockDelta', `${deltaHead}{"reasoningContent":{"redactedContent":${JSON.stringify(ev.block.data)}}}}`);
        }
        return;
      case 'text-delta':
        write('contentBlockDelta', `${deltaHead}{"text":${JSON.stringify(ev.text)}}}`);
        return;
      case 'reasoning-delta':
        write('contentBlockDelta', `${deltaHead}{"reasoningContent":{"text":${JSON.stringify(ev.text)}}}}`);
        return;
      case 'signature-delta':
        write('contentBlockDelta', `${deltaHead}{"reasoningContent":{"signature":${JSON.stringify(ev.signature)}}}}`);
        return;
      case 'tool-args-delta':
        write('contentBlockDelta', `${deltaHead}{"toolUse":{"input":${JSON.stringify(ev.json)}}}}`);
        return;
      case 'block-end':
        write('contentBlockStop', `{"contentBlockIndex":${ev.index}}`);
        return;
      case 'usage':
        usage = ev.usage;
        return;
      case 'finish': {
        stopped = true;
        const reason = JSON.stringify(toBedrockStopReason(ev.reason));
        write(
          'messageStop',
          ev.stopSequence === undefined
            ? `{"stopReason":${reason}}`
            : `{"stopReason":${reason},"additionalModelResponseFields":{"stop_sequence":${JSON.stringify(ev.stopSequence)}}}`,
        );
        return;
      }
      case 'done': {
        ended = true;
        if (!stopped) write('messageStop', '{"stopReason":"end_turn"}');
        const u = toWireUsage(usage ?? { inputTokens: 0, outputTokens: 0 });
        write('metadata', `{"usage":${JSON.stringify(u)},"metrics":{"latencyMs":${Date.now() - startedAt}}}`);
        return;
      }
      case 'error': {
        ended = true;
        const ex = streamExceptionFor(ev.error);
        bytes(encodeException(ex.type, ex.json));
        return;
      }
    }
  };
}

/** The output's byte writer: event-stream is binary (every gateway output has one). */
export function byteOutput(out: StreamOutput): (chunk: Uint8Array) => void {
  if (out.writeBytes === undefined) throw new Error('the Bedrock front writes AWS event-stream bytes: the output needs writeBytes');
  return out.writeBytes.bind(out);
}
