// Responses front, streaming: normalized canonical events -> Responses SSE events (SPEC §3.1;
// docs/protocols/openai-responses.md §3, §5.3). The full lifecycle: `response.created`,
// `response.in_progress`, `output_item.added`/`.done` around every item, `content_part.added`/`.done`
// around every text part, `sequence_number` strictly increasing from 0, exactly one terminal event
// (`response.completed`, `response.incomplete` or `response.failed`), and nothing after it (Codex
// reports a turn complete only when the body ends right after it, Q-47).
//
// Every event carries both `event: <type>` and `"type"` in its data. Hot path: a text delta is one
// concatenation of the item's constant head, the sequence number and JSON.stringify(the text).

import type { BlockStart, FinishReason, StreamEvent, Usage } from '../../core/events.ts';
import type { GatewayError } from '../../core/errors.ts';
import { mintId } from '../../core/ids.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import { errorEventFields, responsesErrorCode } from './errors.ts';
import { toResponsesOutcome } from './finish-reason.ts';
import {
  callSignatureItem,
  customCallItem,
  customInput,
  functionCallItem,
  itemIdPrefix,
  messageItem,
  originOf,
  reasoningItem,
  responseObject,
  textPart,
  type ResponseHead,
} from './items.ts';
import { frontStateOf, type ResponsesFrontState, type UpstreamItemIds } from './state.ts';
import { saveResponse } from './store.ts';
import type { OutItem, ResponseStatus } from './wire.ts';
import { Pieces } from '../../core/pieces.ts';

/** The item being streamed. Its text (or arguments) is kept as fragments, joined once at its end. */
type Open =
  | { kind: 'none' }
  | { kind: 'message'; index: number; id: string; outputIndex: number; phase: string | undefined; parts: Pieces; deltaHead: string; deltaTail: string }
  | { kind: 'reasoning'; index: number; id: string; outputIndex: number; parts: Pieces; summaryOpen: boolean; signature: string | undefined; redacted: string | undefined }
  | { kind: 'call'; index: number; id: string; outputIndex: number; callId: string; name: string; parts: Pieces; custom: boolean };

const NONE: Open = { kind: 'none' };

export function createResponsesStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const state = frontStateOf(ctx.chat?.frontState);
  const head: ResponseHead = { id: mintId('resp_'), createdAt: ctx.created, model: ctx.model };
  let seq = 0;
  let started = false;
  let ended = false;
  let open: Open = NONE;
  const output: OutItem[] = [];
  let usage: Usage | undefined;
  let finish: FinishReason | undefined;
  /** Item ids of an openai-responses upstream, by block index (state.ts). */
  let upstream: UpstreamItemIds | undefined;

  /** One event: `event:` line, then data with type and sequence number first. */
  const emit = (type: string, fields: string): void => {
    out.write(`event: ${type}\ndata: {"type":"${type}","sequence_number":${seq++},${fields}}\n\n`);
  };
  const start = (): void => {
    if (started) return;
    started = true;
    const snapshot = JSON.stringify(responseObject(head, state, 'in_progress', []));
    emit('response.created', `"response":${snapshot}`);
    emit('response.in_progress', `"response":${snapshot}`);
  };
  const itemAdded = (outputIndex: number, item: OutItem): void => emit('response.output_item.added', `"output_index":${outputIndex},"item":${JSON.stringify(item)}`);
  const itemDone = (outputIndex: number, item: OutItem): void => {
    output[outputIndex] = item;
    emit('response.output_item.done', `"output_index":${outputIndex},"item":${JSON.stringify(item)}`);
  };
  const upstreamId = (index: number): string | undefined => upstream?.ids[index];

  const openBlock = (index: number, block: BlockStart): void => {
    switch (block.kind) {
      case 'text': {
        const id = upstreamId(index) ?? mintId('msg_');
        const outputIndex = output.length;
        const phase = upstream?.phases[index];
        output.push(messageItem(id, undefined, 'in_progress', phase));
        itemAdded(outputIndex, messageItem(id, undefined, 'in_progress', phase));
        const where = `"item_id":${JSON.stringify(id)},"output_index":${outputIndex},"content_index":0`;
        emit('response.content_part.added', `${where},"part":${JSON.stringify(textPart(''))}`);
        open = {
          kind: 'message',
          index,
          id,
          outputIndex,
          phase,
          parts: new Pieces(),
          deltaHead: `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":`,
          deltaTail: `,${where},"logprobs":[],"delta":`,
        };
        return;
      }
      case 'reasoning':
      case 'redacted-reasoning': {
        const id = upstreamId(index) ?? mintId('rs_');
        const outputIndex = output.length;
        const item = reasoningItem(id, '', undefined, undefined);
        output.push(item);
        itemAdded(outputIndex, item);
        open = {
          kind: 'reasoning',
          index,
          id,
          outputIndex,
          parts: new Pieces(),
          summaryOpen: false,
          signature: undefined,
          redacted: block.kind === 'redacted-reasoning' ? block.data : undefined,
        };
        return;
      }
      case 'tool-call': {
        if (block.signature !== undefined) {
          // A Gemini thought signature bound to this call: its own reasoning item, sent back with the call.
          const carrier = callSignatureItem(block.signature);
          const carrierIndex = output.length;
          output.push(carrier);
          itemAdded(carrierIndex, { id: carrier.id, type: 'reasoning', summary: [] });
          itemDone(carrierIndex, carrier);
        }
        const origin = originOf(state, block.name);
        const custom = origin.kind === 'custom';
        const id = upstreamId(index) ?? mintId(itemIdPrefix(origin));
        const outputIndex = output.length;
        const item = custom ? customCallItem(id, block.id, origin.name, '', 'in_progress') : functionCallItem(id, block.id, origin, '', 'in_progress');
        output.push(item);
        itemAdded(outputIndex, item);
        open = { kind: 'call', index, id, outputIndex, callId: block.id, name: block.name, parts: new Pieces(), custom };
        return;
      }
    }
  };

  const closeBlock = (): void => {
    const o = open;
    open = NONE;
    switch (o.kind) {
      case 'none':
        return;
      case 'message': {
        const text = o.parts.join();
        const where = `"item_id":${JSON.stringify(o.id)},"output_index":${o.outputIndex},"content_index":0`;
        emit('response.output_text.done', `${where},"logprobs":[],"text":${JSON.stringify(text)}`);
        emit('response.content_part.done', `${where},"part":${JSON.stringify(textPart(text))}`);
        itemDone(o.outputIndex, messageItem(o.id, text, 'completed', o.phase));
        return;
      }
      case 'reasoning': {
        const text = o.parts.join();
        if (o.summaryOpen) {
          const where = `"item_id":${JSON.stringify(o.id)},"output_index":${o.outputIndex},"summary_index":0`;
          emit('response.reasoning_summary_text.done', `${where},"text":${JSON.stringify(text)}`);
          emit('response.reasoning_summary_part.done', `${where},"part":${JSON.stringify({ type: 'summary_text', text })}`);
        }
        const item = reasoningItem(o.id, text, o.signature, o.redacted);
        // The id the client saw in output_item.added stays the item's id.
        item.id = o.id;
        itemDone(o.outputIndex, item);
        return;
      }
      case 'call': {
        const args = o.parts.join();
        const origin = originOf(state, o.name);
        const where = `"item_id":${JSON.stringify(o.id)},"output_index":${o.outputIndex}`;
        if (o.custom) {
          const input = customInput(args);
          if (input !== '') emit('response.custom_tool_call_input.delta', `${where},"delta":${JSON.stringify(input)}`);
          emit('response.custom_tool_call_input.done', `${where},"input":${JSON.stringify(input)}`);
          itemDone(o.outputIndex, customCallItem(o.id, o.callId, origin.name, input, 'completed'));
        } else {
          emit('response.function_call_arguments.done', `${where},"name":${JSON.stringify(origin.name)},"arguments":${JSON.stringify(args)}`);
          itemDone(o.outputIndex, functionCallItem(o.id, o.callId, origin, args, 'completed'));
        }
        return;
      }
    }
  };

  const terminal = (status: ResponseStatus, incompleteReason?: string): void => {
    const response = responseObject(head, state, status, output, {
      ...(usage !== undefined && { usage }),
      ...(incompleteReason !== undefined && { incompleteReason }),
    });
    emit(status === 'completed' ? 'response.completed' : 'response.incomplete', `"response":${JSON.stringify(response)}`);
    remember(state, ctx, response.output, response);
  };

  const fail = (error: GatewayError): void => {
    // Whatever was streamed of the open item stays in the failed response, marked incomplete.
    const o = open;
    open = NONE;
    if (o.kind === 'message') output[o.outputIndex] = messageItem(o.id, o.parts.join(), 'incomplete', o.phase);
    else if (o.kind === 'call') {
      const origin = originOf(state, o.name);
      output[o.outputIndex] = o.custom
        ? customCallItem(o.id, o.callId, origin.name, customInput(o.parts.join()), 'incomplete')
        : functionCallItem(o.id, o.callId, origin, o.parts.join(), 'incomplete');
    }
    emit('error', errorEventFields(error));
    const response = responseObject(head, state, 'failed', output, {
      ...(usage !== undefined && { usage }),
      error: { code: responsesErrorCode(error), message: error.message },
    });
    emit('response.failed', `"response":${JSON.stringify(response)}`);
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'text-delta':
        if (open.kind !== 'message') return;
        open.parts.push(ev.text);
        out.write(open.deltaHead + seq++ + open.deltaTail + JSON.stringify(ev.text) + '}\n\n');
        return;
      case 'reasoning-delta': {
        if (open.kind !== 'reasoning' || ev.text === '') return;
        const where = `"item_id":${JSON.stringify(open.id)},"output_index":${open.outputIndex},"summary_index":0`;
        if (!open.summaryOpen) {
          open.summaryOpen = true;
          emit('response.reasoning_summary_part.added', `${where},"part":{"type":"summary_text","text":""}`);
        }
        open.parts.push(ev.text);
        emit('response.reasoning_summary_text.delta', `${where},"delta":${JSON.stringify(ev.text)}`);
        return;
      }
      case 'signature-delta':
        if (open.kind === 'reasoning') open.signature = (open.signature ?? '') + ev.signature;
        return;
      case 'tool-args-delta':
        if (open.kind !== 'call') return;
        open.parts.push(ev.json);
        // Custom tools stream their raw string at the end, once the JSON around it is complete.
        if (!open.custom && ev.json !== '') {
          emit('response.function_call_arguments.delta', `"item_id":${JSON.stringify(open.id)},"output_index":${open.outputIndex},"delta":${JSON.stringify(ev.json)}`);
        }
        return;
      case 'message-start':
        if (state && ev.id !== undefined) upstream = state.upstreamItems.get(ev.id);
        start();
        return;
      case 'block-start':
        start();
        closeBlock();
        openBlock(ev.index, ev.block);
        return;
      case 'block-end':
        if (open.kind !== 'none' && open.index === ev.index) closeBlock();
        return;
      case 'usage':
        usage = ev.usage;
        return;
      case 'finish':
        finish = ev.reason;
        return;
      case 'done': {
        start();
        closeBlock();
        ended = true;
        const outcome = toResponsesOutcome(finish ?? 'stop');
        terminal(outcome.status, outcome.incompleteReason);
        return;
      }
      case 'error':
        start();
        ended = true;
        fail(ev.error);
        return;
    }
  };
}

/** Stores a finished response for previous_response_id, GET and item_reference (store.ts). */
export function remember(state: ResponsesFrontState | undefined, ctx: FrontContext, output: OutItem[], response: ReturnType<typeof responseObject>): void {
  const services = ctx.services;
  if (!state?.store || !services) return;
  saveResponse(services, { response: { ...response, output }, input: state.input, owner: state.owner }, state.retentionMs);
}
