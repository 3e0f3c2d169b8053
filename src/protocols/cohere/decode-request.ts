// Cohere v2 chat request body -> canonical ChatRequest (front side; docs/protocols/cohere.md §2, §10).
// The parsed body stays in `raw` untouched: a Cohere upstream starts from it, so Cohere-only fields
// (documents as objects, citation_options, safety_mode, strict_tools, priority…) still reach Cohere.

import { Buffer } from 'node:buffer';
import type { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';
import type {
  ChatRequest,
  ContentPart,
  DocumentPart,
  ImagePart,
  Message,
  ReasoningConfig,
  TextPart,
  ToolDef,
  ToolResultPart,
} from '../../core/request.ts';
import {
  DocumentPartSchema,
  ImagePartSchema,
  RequestSchema,
  TextPartSchema,
  ThinkingPartSchema,
  type WireMessageIn,
  type WireRequest,
} from './wire.ts';
import { COHERE } from './wire.ts';

export function decodeCohereRequest(body: unknown): ChatRequest {
  const wire = check(RequestSchema, body, '');
  const raw = body as Record<string, unknown>;

  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  wire.messages.forEach((m, i) => messages.push(decodeMessage(m, `messages.${i}`, toolNames)));
  if (wire.documents && wire.documents.length > 0) attachDocuments(messages, wire.documents);

  const req: ChatRequest = {
    model: wire.model,
    messages,
    stream: wire.stream === true,
    // Cohere always reports usage in message-end; the OpenAI-only flag means nothing here.
    includeUsage: false,
    front: COHERE,
    raw,
  };
  if (wire.max_tokens != null) req.maxTokens = wire.max_tokens;
  if (wire.temperature != null) req.temperature = wire.temperature;
  if (wire.p != null) req.topP = wire.p;
  if (wire.k != null && wire.k > 0) req.topK = wire.k; // 0 = top-k off
  if (wire.seed != null) req.seed = wire.seed;
  if (wire.frequency_penalty != null) req.frequencyPenalty = wire.frequency_penalty;
  if (wire.presence_penalty != null) req.presencePenalty = wire.presence_penalty;
  if (wire.stop_sequences && wire.stop_sequences.length > 0) req.stop = wire.stop_sequences;

  const tools = (wire.tools ?? []).map((t): ToolDef => {
    const def: ToolDef = { name: t.function.name, parameters: t.function.parameters ?? { type: 'object', properties: {} } };
    if (t.function.description != null) def.description = t.function.description;
    if (wire.strict_tools === true) def.strict = true;
    return def;
  });
  if (tools.length > 0) req.tools = tools;
  if (wire.tool_choice === 'REQUIRED') {
    if (tools.length === 0) throw invalid('tool_choice', 'REQUIRED needs tools');
    req.toolChoice = { type: 'required' };
  } else if (wire.tool_choice === 'NONE') req.toolChoice = { type: 'none' };

  const format = wire.response_format;
  if (format?.type === 'json_object') {
    req.responseFormat = format.json_schema
      ? { type: 'json_schema', name: 'response', schema: format.json_schema }
      : { type: 'json_object' };
  }
  const reasoning = decodeThinking(wire.thinking);
  if (reasoning) req.reasoning = reasoning;
  return req;
}

// ---------------------------------------------------------------------------------------------------

/** Validates `value`; the first zod issue becomes `invalid request: path: message` (Cohere's wording). */
function check<T extends z.ZodType>(schema: T, value: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(value, {
    error: (issue) => (issue.input === undefined ? 'field is required' : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const full = [path, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  throw invalid(full, issue?.message ?? 'invalid value');
}

function invalid(path: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `invalid request: ${path === '' ? '' : `${path}: `}${message}`, {
    param: path === '' ? undefined : path,
  });
}

function decodeMessage(m: WireMessageIn, path: string, toolNames: Map<string, string>): Message {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: textParts(m.content, `${path}.content`) };
    case 'user':
      return { role: 'user', content: userParts(m.content, `${path}.content`) };
    case 'assistant':
      return { role: 'assistant', content: assistantParts(m, path, toolNames) };
    case 'tool': {
      const result: ToolResultPart = { type: 'tool-result', toolCallId: m.tool_call_id, content: toolResultParts(m.content, `${path}.content`) };
      const name = toolNames.get(m.tool_call_id);
      if (name !== undefined) result.name = name;
      return { role: 'tool', content: [result] };
    }
  }
}

function textParts(content: string | Array<{ type: string }>, path: string): TextPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((p, j) => ({ type: 'text', text: check(TextPartSchema, p, `${path}.${j}`).text }));
}

function userParts(content: string | Array<{ type: string }>, path: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((p, j): ContentPart => {
    const at = `${path}.${j}`;
    if (p.type === 'text') return { type: 'text', text: check(TextPartSchema, p, at).text };
    if (p.type === 'image_url') return decodeImage(check(ImagePartSchema, p, at).image_url, at);
    throw invalid(`${at}.type`, `unsupported content type ${JSON.stringify(p.type)} in a user message`);
  });
}

/** data: URLs become base64 sources (every upstream can take those); http(s) URLs stay URLs. */
function decodeImage(image: { url: string; detail?: 'auto' | 'low' | 'high' | null }, at: string): ImagePart {
  const detail = image.detail ?? undefined;
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(image.url);
  const part: ImagePart = dataUrl
    ? { type: 'image', source: { kind: 'base64', mediaType: dataUrl[1]!, data: dataUrl[2]! } }
    : /^https?:\/\//i.test(image.url)
      ? { type: 'image', source: { kind: 'url', url: image.url } }
      : (() => {
          throw invalid(`${at}.image_url.url`, 'must be an http(s) URL or a base64 data URL');
        })();
  if (detail !== undefined) part.detail = detail;
  return part;
}

/** Order on the wire and in history: thinking, the plan, the answer text, then the calls. */
function assistantParts(m: Extract<WireMessageIn, { role: 'assistant' }>, path: string, toolNames: Map<string, string>): ContentPart[] {
  const reasoning: ContentPart[] = [];
  const text: ContentPart[] = [];
  if (typeof m.content === 'string') {
    if (m.content !== '') text.push({ type: 'text', text: m.content });
  } else if (m.content) {
    m.content.forEach((p, j) => {
      const at = `${path}.content.${j}`;
      if (p.type === 'text') {
        const t = check(TextPartSchema, p, at).text;
        if (t !== '') text.push({ type: 'text', text: t });
      } else if (p.type === 'thinking') {
        reasoning.push({ type: 'reasoning', text: check(ThinkingPartSchema, p, at).thinking });
      } else throw invalid(`${at}.type`, `unsupported content type ${JSON.stringify(p.type)} in an assistant message`);
    });
  }
  const parts: ContentPart[] = [...reasoning];
  if (m.tool_plan != null && m.tool_plan !== '') parts.push({ type: 'text', text: m.tool_plan });
  parts.push(...text);
  for (const call of m.tool_calls ?? []) {
    toolNames.set(call.id, call.function.name);
    parts.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: argumentsText(call.function.arguments) });
  }
  return parts;
}

/** Cohere sends `null` (or nothing) for a call without arguments (§10). */
function argumentsText(args: string | null | undefined): string {
  if (args == null) return '{}';
  const t = args.trim();
  return t === '' || t === 'null' ? '{}' : args;
}

/** Tool results: text parts as text, document parts as their data in JSON (what the model reads). */
function toolResultParts(content: string | Array<{ type: string }>, path: string): TextPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((p, j): TextPart => {
    const at = `${path}.${j}`;
    if (p.type === 'text') return { type: 'text', text: check(TextPartSchema, p, at).text };
    if (p.type === 'document') return { type: 'text', text: JSON.stringify(check(DocumentPartSchema, p, at).document.data) };
    throw invalid(`${at}.type`, `unsupported content type ${JSON.stringify(p.type)} in a tool message`);
  });
}

/**
 * Request `documents` (RAG sources) have no canonical slot of their own: they become plain-text
 * documents at the start of the last user message, where every upstream shows them to the model
 * (docs/protocols/cohere.md §10). A Cohere upstream gets the original list from `raw` instead.
 */
function attachDocuments(messages: Message[], documents: NonNullable<WireRequest['documents']>): void {
  const parts: DocumentPart[] = documents.map((d, i) => {
    const text = typeof d === 'string' ? d : JSON.stringify(d.data);
    const title = typeof d === 'string' ? undefined : typeof d.data.title === 'string' ? d.data.title : (d.id ?? undefined);
    return {
      type: 'document',
      mediaType: 'text/plain',
      data: Buffer.from(text, 'utf8').toString('base64'),
      filename: title ?? `document ${i}`,
    };
  });
  let last = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      last = i;
      break;
    }
  }
  if (last < 0) messages.push({ role: 'user', content: parts });
  else messages[last] = { ...messages[last]!, content: [...parts, ...messages[last]!.content] };
}

function decodeThinking(thinking: WireRequest['thinking']): ReasoningConfig | undefined {
  if (!thinking || thinking.type !== 'enabled') return undefined; // disabled: only a Cohere upstream cares (raw)
  const r: ReasoningConfig = { include: true };
  if (thinking.token_budget != null) r.budgetTokens = thinking.token_budget;
  else r.effort = 'medium';
  return r;
}
