// Responses input items -> canonical messages (docs/protocols/openai-responses.md §1, §5.2;
// docs/translation.md §1–§4). Items are flat: an assistant turn is a run of reasoning, assistant
// message and function_call items, and it becomes one canonical assistant message. Each known item
// type is validated with its schema (errors name the field, `input[3].call_id`); an unknown type is
// accepted and left out of the canonical request (it still reaches an openai-responses upstream,
// which reads the client's own body, Q-50).

import { GatewayError } from '../../core/errors.ts';
import type { ContentPart, ImagePart, Message, TextPart, ToolResultPart } from '../../core/request.ts';
import { parseDataUrl } from '../openai/data-url.ts';
import { openEnvelope } from './signatures.ts';
import { canonicalToolName } from './tools.ts';
import { check, pathText, type Where } from './validate.ts';
import {
  customToolCallItemSchema,
  customToolCallOutputItemSchema,
  functionCallItemSchema,
  functionCallOutputItemSchema,
  messageItemSchema,
  reasoningItemSchema,
  type WireContentPart,
} from './wire.ts';

export interface DecodedItems {
  messages: Message[];
  /** Why an upstream of another dialect must refuse this input (file ids, audio…). */
  nonPortable?: string;
  /** Item types left out of the canonical request, for the log line. */
  dropped: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which items answer a call (their call_id must name an earlier call), and which make one. */
const OUTPUT_TYPES = new Set(['function_call_output', 'custom_tool_call_output']);

/**
 * `items`: the expanded input (stored history first). `clientOffset`: how many leading items came from
 * the store, so error paths name the client's own `input[i]`.
 */
export function decodeItems(items: readonly unknown[], root: unknown, clientOffset: number, namespaces: ReadonlySet<string>): DecodedItems {
  const messages: Message[] = [];
  const dropped: string[] = [];
  let nonPortable: string | undefined;
  /** call_id -> canonical tool name, for results (Gemini needs the name) and the no-matching-call check. */
  const calls = new Map<string, string>();
  /** Call ids of items sluice cannot carry (local_shell_call…): their outputs are left out too. */
  const foreignCalls = new Set<string>();
  /** The assistant message being built from a run of assistant-side items. */
  let assistant: Message | undefined;
  /** A Gemini thought signature from a reasoning envelope, for the next function_call. */
  let callSignature: string | undefined;

  const flushAssistant = (): void => {
    if (assistant && assistant.content.length > 0) messages.push(assistant);
    assistant = undefined;
    callSignature = undefined;
  };
  const assistantParts = (): ContentPart[] => (assistant ??= { role: 'assistant', content: [] }).content;
  const markNonPortable = (why: string): void => {
    nonPortable ??= why;
  };

  items.forEach((item, i) => {
    const where: Where = { root, at: i < clientOffset ? ['previous_response', i] : ['input', i - clientOffset] };
    if (!isRecord(item)) {
      throw new GatewayError('invalid_request', `Invalid type for '${pathText(where.at)}': expected an object.`, { param: pathText(where.at) });
    }
    const type = item.type;
    // The easy message form has no `type`; an item reference may have none either (openai-node types).
    if (type === undefined || type === null || type === 'message') {
      if (item.role === undefined && item.content === undefined && typeof item.id === 'string' && type !== 'message') {
        // An item reference sluice could not resolve: decode-request.ts made the request non-portable.
        dropped.push('item_reference');
        return;
      }
      const m = check(messageItemSchema, item, where);
      if (m.role === 'assistant') {
        const parts = assistantParts();
        for (const p of contentParts(m.content, [...where.at, 'content'], markNonPortable)) if (p.type === 'text' && p.text !== '') parts.push(p);
        return;
      }
      flushAssistant();
      const content = contentParts(m.content, [...where.at, 'content'], markNonPortable);
      if (m.role === 'system' || m.role === 'developer') {
        messages.push({ role: 'system', content: content.filter((p): p is TextPart => p.type === 'text') });
      } else {
        messages.push({ role: 'user', content });
      }
      return;
    }
    switch (type) {
      case 'reasoning': {
        const r = check(reasoningItemSchema, item, where);
        const envelope = openEnvelope(r.encrypted_content);
        if (envelope?.kind === 'call-signature') {
          callSignature = envelope.signature;
          assistantParts();
          return;
        }
        if (envelope?.kind === 'reasoning') {
          assistantParts().push(envelope.part);
          return;
        }
        // OpenAI's own reasoning: only an openai-responses upstream can use its encrypted_content, and
        // that upstream reads the client's items as they are. Other upstreams get the summary text
        // (MiniMax replays it inline, Q-30); its signature would only be rejected there.
        const text = (r.summary ?? []).map((s) => s.text).join('\n\n');
        if (text !== '') assistantParts().push({ type: 'reasoning', text });
        return;
      }
      case 'function_call': {
        const c = check(functionCallItemSchema, item, where);
        const name = canonicalToolName(c.name, c.namespace ?? undefined, namespaces);
        const args = typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments);
        const part: ContentPart = { type: 'tool-call', id: c.call_id, name, arguments: args };
        if (callSignature !== undefined) part.signature = callSignature;
        callSignature = undefined;
        calls.set(c.call_id, name);
        assistantParts().push(part);
        return;
      }
      case 'custom_tool_call': {
        const c = check(customToolCallItemSchema, item, where);
        calls.set(c.call_id, c.name);
        // The canonical form of a custom tool is a function with one string argument (tools.ts).
        assistantParts().push({ type: 'tool-call', id: c.call_id, name: c.name, arguments: JSON.stringify({ input: c.input }) });
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const o =
          type === 'function_call_output'
            ? check(functionCallOutputItemSchema, item, where)
            : check(customToolCallOutputItemSchema, item, where);
        flushAssistant();
        if (foreignCalls.has(o.call_id)) {
          dropped.push(String(type));
          return;
        }
        const name = calls.get(o.call_id);
        if (name === undefined) {
          const param = `${pathText(where.at)}.call_id`;
          throw new GatewayError('invalid_request', `No tool call found for ${type} with call_id '${o.call_id}'.`, { param });
        }
        const result: ToolResultPart = { type: 'tool-result', toolCallId: o.call_id, name, content: resultContent(o.output, where, markNonPortable) };
        messages.push({ role: 'tool', content: [result] });
        return;
      }
      case 'item_reference':
        dropped.push('item_reference');
        return;
      default: {
        // Built-in tool calls and their outputs, compaction summaries, new types: they have no
        // canonical form. A call's output is left out with it, so no upstream sees an orphan result.
        if (typeof type !== 'string') {
          throw new GatewayError('invalid_request', `Invalid type for '${pathText(where.at)}.type': expected a string.`, { param: `${pathText(where.at)}.type` });
        }
        if (typeof item.call_id === 'string' && !OUTPUT_TYPES.has(type)) foreignCalls.add(item.call_id);
        dropped.push(type);
        return;
      }
    }
  });
  flushAssistant();
  return nonPortable === undefined ? { messages, dropped } : { messages, nonPortable, dropped };
}

/** `arrayAt`: the path of the content array in the client's body. */
function contentParts(content: string | WireContentPart[], arrayAt: readonly PropertyKey[], nonPortable: (why: string) => void): ContentPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const parts: ContentPart[] = [];
  content.forEach((p, j) => {
    const at = [...arrayAt, j];
    switch (p.type) {
      case 'input_text':
      case 'output_text':
      case 'reasoning_text':
        parts.push({ type: 'text', text: p.text });
        return;
      case 'refusal':
        parts.push({ type: 'text', text: p.refusal });
        return;
      case 'input_image': {
        const image = imagePart(p.image_url ?? undefined, p.detail ?? undefined, at);
        if (image) parts.push(image);
        else if (p.file_id) nonPortable('uploaded file ids are only supported by the upstream that issued them');
        else throw invalid(at, 'expected image_url or file_id');
        return;
      }
      case 'input_file': {
        if (p.file_data) {
          parts.push(documentPart(p.file_data, p.filename ?? undefined, [...at, 'file_data']));
        } else if (p.file_id) {
          nonPortable('uploaded file ids are only supported by the upstream that issued them');
        } else if (p.file_url) {
          nonPortable('input_file with file_url is only supported by openai-responses upstreams');
        } else {
          throw invalid(at, 'expected file_data, file_id or file_url');
        }
        return;
      }
      case 'input_audio':
        nonPortable('audio input is only supported by OpenAI upstreams');
        return;
    }
  });
  return parts;
}

function imagePart(url: string | undefined, detail: string | undefined, at: readonly PropertyKey[]): ImagePart | undefined {
  if (url === undefined) return undefined;
  const d = detail === 'low' || detail === 'high' || detail === 'auto' ? detail : undefined;
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { kind: 'base64', mediaType: data.mediaType, data: data.data }, ...(d && { detail: d }) };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { kind: 'url', url }, ...(d && { detail: d }) };
  throw invalid([...at, 'image_url'], 'expected an http(s) URL or a base64 data URL');
}

function documentPart(fileData: string, filename: string | undefined, at: readonly PropertyKey[]): ContentPart {
  const parsed = parseDataUrl(fileData);
  if (fileData.startsWith('data:') && !parsed) throw invalid(at, 'data URLs must be base64-encoded');
  // As on the Chat front: a bare base64 payload is a PDF unless its name says plain text.
  const mediaType = parsed?.mediaType ?? (filename && /\.(txt|md)$/i.test(filename) ? 'text/plain' : 'application/pdf');
  const data = parsed?.data ?? fileData;
  return filename ? { type: 'document', mediaType, data, filename } : { type: 'document', mediaType, data };
}

function resultContent(output: string | WireContentPart[], where: Where, nonPortable: (why: string) => void): Array<TextPart | ImagePart> {
  if (typeof output === 'string') return [{ type: 'text', text: output }];
  const out: Array<TextPart | ImagePart> = [];
  for (const p of contentParts(output, [...where.at, 'output'], nonPortable)) {
    if (p.type === 'text' || p.type === 'image') out.push(p);
    else nonPortable('files inside a function_call_output are only supported by openai-responses upstreams');
  }
  return out;
}

function invalid(at: readonly PropertyKey[], problem: string): GatewayError {
  const param = pathText(at);
  return new GatewayError('invalid_request', `Invalid value for '${param}': ${problem}.`, { param });
}
