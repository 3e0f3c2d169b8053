// Canonical events -> `streamGenerateContent` for Gemini clients (gemini.md §4, §8.4). Every chunk is a
// complete GenerateContentResponse with the same responseId and modelVersion; text and thoughts go
// out as they arrive; a function call goes out whole when its arguments are complete (Gemini never
// fragments calls); the last chunk carries finishReason and usageMetadata (Gemini CLI retries a
// stream without a finishReason, Q-52). Two framings (front-wire.ts GeminiFrontState):
// - SSE (`alt=sse`): `data: <chunk>\n\n`, no [DONE]; an error is one last `data: {"error":{…}}`.
// - JSON array (no `alt`): `[` chunk `,\r\n` chunk … `]`, each element written when produced; an
//   error is the last element (gemini.md §8.4 Decision).
//
// Signed reasoning from Anthropic upstreams rides in the thoughtSignature of the step's first
// functionCall (carrier.ts), since Gemini clients return only that.

import type { BlockStart, FinishReason, StreamEvent, Usage } from '../../core/events.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import type { ChatRequest, ReasoningPart } from '../../core/request.ts';
import { packReasoning } from './carrier.ts';
import { toGeminiFinishReason } from './finish-reason.ts';
import { geminiErrorJson } from './front-errors.ts';
import type { GeminiFrontState } from './front-wire.ts';
import { toGeminiUsage } from './usage.ts';

const CHUNK_HEAD = '{"candidates":[{"content":{"role":"model","parts":[';
const TEXT_HEAD = `${CHUNK_HEAD}{"text":`;
const THOUGHT_TAIL = ',"thought":true}';

export type GeminiFraming = GeminiFrontState['framing'];

/** The framing a request asked for; SSE when the context carries none (non-Gemini callers, tests). */
export function framingOf(ctx: FrontContext): GeminiFraming {
  const state = (ctx as { chat?: ChatRequest }).chat?.frontState as GeminiFrontState | undefined;
  return state?.framing ?? 'sse';
}

/** `,"modelVersion":…,"responseId":…}` closing every chunk of one response. */
export function chunkTail(model: string, responseId: string): string {
  return `,"modelVersion":${JSON.stringify(model)},"responseId":${JSON.stringify(responseId)}}`;
}

interface ToolBuffer {
  id: string;
  name: string;
  signature?: string;
  args: string;
}

type Open =
  | { kind: 'none' }
  | { kind: 'text' }
  | { kind: 'reasoning'; part: ReasoningPart }
  | { kind: 'tool'; call: ToolBuffer };

const NONE: Open = { kind: 'none' };

export function createGeminiStreamEncoder(ctx: FrontContext, out: StreamOutput, framing: GeminiFraming = framingOf(ctx)): (ev: StreamEvent) => void {
  // The request id: unique per response, and it ties the answer to sluice's log line.
  const responseId = ctx.requestId;
  const tail = chunkTail(ctx.model, responseId);
  /** Closes a chunk with one content-only candidate. */
  const partsTail = `]},"index":0}]${tail}`;
  const thoughts = ctx.includeReasoning;
  const sse = framing === 'sse';
  let elements = 0;
  let ended = false;
  let open: Open = NONE;
  /** Reasoning of the current step, packed into the first call's signature (carrier.ts). */
  let stepReasoning: ReasoningPart[] = [];
  let callsInStep = 0;
  let usage: Usage | undefined;
  let finish: FinishReason = 'stop';

  const write = (chunk: string): void => {
    if (sse) out.write(`data: ${chunk}\n\n`);
    else out.write((elements === 0 ? '[' : ',\r\n') + chunk);
    elements++;
  };

  const startBlock = (block: BlockStart): void => {
    switch (block.kind) {
      case 'text':
        open = { kind: 'text' };
        return;
      case 'reasoning':
        open = { kind: 'reasoning', part: { type: 'reasoning', text: '' } };
        return;
      case 'redacted-reasoning':
        stepReasoning.push({ type: 'reasoning', text: '', redactedData: block.data });
        open = NONE;
        return;
      case 'tool-call':
        open = { kind: 'tool', call: { id: block.id, name: block.name, signature: block.signature, args: '' } };
        return;
    }
  };

  const endBlock = (): void => {
    const o = open;
    open = NONE;
    if (o.kind === 'reasoning') stepReasoning.push(o.part);
    else if (o.kind === 'tool') writeCall(o.call);
  };

  const writeCall = (call: ToolBuffer): void => {
    const signature = call.signature ?? (callsInStep === 0 ? packReasoning(stepReasoning) : undefined);
    callsInStep++;
    stepReasoning = [];
    const fc = `{"functionCall":{"id":${JSON.stringify(call.id)},"name":${JSON.stringify(call.name)},"args":${argsJson(call.args)}}`;
    write(CHUNK_HEAD + fc + (signature === undefined ? '}' : `,"thoughtSignature":${JSON.stringify(signature)}}`) + partsTail);
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'text-delta':
        write(TEXT_HEAD + JSON.stringify(ev.text) + '}' + partsTail);
        return;
      case 'reasoning-delta':
        if (open.kind === 'reasoning') open.part.text += ev.text;
        if (thoughts) write(TEXT_HEAD + JSON.stringify(ev.text) + THOUGHT_TAIL + partsTail);
        return;
      case 'signature-delta':
        if (open.kind === 'reasoning') open.part.signature = (open.part.signature ?? '') + ev.signature;
        return;
      case 'tool-args-delta':
        if (open.kind === 'tool') open.call.args += ev.json;
        return;
      case 'block-start':
        endBlock();
        // Text or reasoning after calls starts the next step of the answer.
        if (ev.block.kind !== 'tool-call') callsInStep = 0;
        startBlock(ev.block);
        return;
      case 'block-end':
        endBlock();
        return;
      case 'usage':
        usage = ev.usage;
        return;
      case 'finish':
        finish = ev.reason;
        return;
      case 'message-start':
        if (ev.usage) usage = ev.usage;
        return;
      case 'done': {
        endBlock();
        ended = true;
        const meta = usage === undefined ? '' : `,"usageMetadata":${JSON.stringify(toGeminiUsage(usage))}`;
        write(`${CHUNK_HEAD}{"text":""}]},"finishReason":"${toGeminiFinishReason(finish)}","index":0}]${meta}${tail}`);
        if (!sse) out.write(']');
        return;
      }
      case 'error':
        // A call whose arguments did not finish is not sent: it would look complete (SPEC §4.5).
        open = NONE;
        ended = true;
        write(geminiErrorJson(ev.error));
        if (!sse) out.write(']');
        return;
    }
  };
}

/** Gemini `args` must be an object: empty means none; unparsable (a cut-off call) becomes {}. */
export function argsJson(args: string): string {
  const text = args.trim();
  if (text === '') return '{}';
  try {
    const value: unknown = JSON.parse(text);
    // Re-serialised: the upstream's text may hold raw line breaks, which would split an SSE data line.
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : '{}';
  } catch {
    return '{}';
  }
}
