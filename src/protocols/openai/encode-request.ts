// OpenAI-compatible upstream: the HTTP request sluice sends to OpenAI, OpenRouter, vLLM, Ollama,
// llama.cpp, EXO, MiniMax /v1 … An OpenAI-front request starts from the client's own body (`raw`),
// so unknown fields (chat_template_kwargs, reasoning_split, metadata …) pass through; any other front
// is built from the canonical fields only. Provider quirks are applied on both paths.

import { GatewayError } from '../../core/errors.ts';
import { jsonOver } from '../../core/raw-json.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type {
  ChatRequest,
  ContentPart,
  ImagePart,
  Message,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDef,
} from '../../core/request.ts';
import { toDataUrl } from './data-url.ts';
import { openaiQuirks, type OpenAIQuirks } from './quirks.ts';
import { extraContent } from './extra-content.ts';
import type { OutContentPart, OutMessage, OutRequest, OutTool, OutToolChoice, WireToolCall } from './wire.ts';

type Quirks = OpenAIQuirks;

export function buildOpenAIRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest {
  const sameDialect = req.front === 'openai' && !req.continuation;
  const body = sameDialect ? fromRaw(req.raw, model, stream, endpoint) : fromCanonical(req, model, stream, endpoint);
  return {
    url: `${endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`,
    headers: Object.assign({ 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' }, endpoint.headers),
    // The client's own bytes for what is unchanged (core/raw-json.ts).
    body: sameDialect ? jsonOver(body, req.raw) : JSON.stringify(body),
  };
}

// ---------------------------------------------------------------------------------------------
// Same dialect: the client's body with overrides

function fromRaw(raw: Record<string, unknown>, model: string, stream: boolean, endpoint: UpstreamEndpoint): Record<string, unknown> {
  const body: Record<string, unknown> = { ...raw, model, stream };
  if (stream) {
    // SPEC §4.4: sluice always wants usage, whatever the client asked (it strips it again if needed).
    const options = raw.stream_options;
    body.stream_options = { ...(typeof options === 'object' && options !== null ? options : {}), include_usage: true };
  } else {
    delete body.stream_options;
  }
  const q = openaiQuirks(endpoint);
  const field = q.maxTokensField;
  if (field !== undefined) {
    const other = field === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
    if (body[field] == null && body[other] != null) body[field] = body[other];
    delete body[other];
  }
  if (body.max_tokens == null && body.max_completion_tokens == null && endpoint.defaultMaxTokens !== undefined) {
    body[field ?? 'max_tokens'] = endpoint.defaultMaxTokens;
  }
  if (typeof body.temperature === 'number' && q.temperatureRange) body.temperature = clamp(body.temperature, q.temperatureRange);
  if (q.stripStrict && Array.isArray(body.tools)) body.tools = body.tools.map(withoutStrict);
  if (q.inlineThinkTags && Array.isArray(body.messages)) body.messages = body.messages.map(reasoningInline);
  return body;
}

function withoutStrict(tool: unknown): unknown {
  if (typeof tool !== 'object' || tool === null) return tool;
  const fn = (tool as Record<string, unknown>).function;
  if (typeof fn !== 'object' || fn === null || !('strict' in fn)) return tool;
  const { strict: _strict, ...rest } = fn as Record<string, unknown>;
  return { ...tool, function: rest };
}

/**
 * MiniMax must see its earlier thinking again, as `<think>…</think>` in the content; clients
 * send it back as `reasoning_content` (how sluice handed it out) or `reasoning`.
 */
function reasoningInline(message: unknown): unknown {
  if (typeof message !== 'object' || message === null) return message;
  const m = message as Record<string, unknown>;
  if (m.role !== 'assistant') return message;
  const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : m.reasoning;
  if (typeof reasoning !== 'string' || reasoning === '') return message;
  const { reasoning_content: _rc, reasoning: _r, ...rest } = m;
  const content = typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? joinTextParts(m.content) : '';
  return { ...rest, content: thinkInline(reasoning, content) };
}

function joinTextParts(parts: unknown[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>).text === 'string') out += (p as { text: string }).text;
  }
  return out;
}

function thinkInline(reasoning: string, content: string): string {
  return `<think>${reasoning}</think>\n\n${content}`;
}

// ---------------------------------------------------------------------------------------------
// Another dialect: built from the canonical request

function fromCanonical(req: ChatRequest, model: string, stream: boolean, endpoint: UpstreamEndpoint): OutRequest {
  const q = openaiQuirks(endpoint);
  const body: OutRequest = { model, messages: encodeMessages(req, q), stream };
  if (stream) body.stream_options = { include_usage: true };
  const maxTokens = req.maxTokens ?? endpoint.defaultMaxTokens;
  if (maxTokens !== undefined) body[q.maxTokensField ?? 'max_tokens'] = maxTokens;
  if (req.temperature !== undefined) body.temperature = q.temperatureRange ? clamp(req.temperature, q.temperatureRange) : req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.n !== undefined) body.n = req.n;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  if (req.tools !== undefined && req.tools.length > 0) {
    body.tools = req.tools.map((t) => encodeTool(t, q));
    // OpenAI rejects parallel_tool_calls without tools.
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.toolChoice !== undefined) body.tool_choice = encodeToolChoice(req.toolChoice);
  if (req.responseFormat !== undefined) body.response_format = encodeResponseFormat(req.responseFormat, q);
  // Only reasoning models accept reasoning_effort (gpt-4o rejects it), and Claude Code asks for
  // thinking on every request: translated reasoning goes upstream only where the provider opts in.
  const effort = q.reasoningEffort ? reasoningEffort(req) : undefined;
  if (effort !== undefined) body.reasoning_effort = effort;
  if (req.user !== undefined) body.user = req.user;
  if (req.cacheKey !== undefined) body.prompt_cache_key = req.cacheKey;
  const last = req.messages[req.messages.length - 1];
  if ((req.front === 'anthropic' || req.continuation) && last?.role === 'assistant' && last.content.some(isText)) {
    // An Anthropic prefill (translation.md §1), or sluice continuing a broken stream
    // (docs/continuation.md): the output must continue it. vLLM-style servers can (supports_prefill);
    // elsewhere it cannot be honoured and is never silently dropped.
    if (!q.supportsPrefill) throw new GatewayError('unsupported', 'assistant prefill is not supported by this upstream');
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  return body;
}

function clamp(value: number, [min, max]: [number, number]): number {
  return Math.min(max, Math.max(min, value));
}

/** translation.md §10: Anthropic thinking budgets map to an effort by thresholds. */
function reasoningEffort(req: ChatRequest): string | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.effort !== undefined) return r.effort;
  if (r.budgetTokens === undefined) return undefined;
  if (r.budgetTokens <= 2048) return 'low';
  if (r.budgetTokens <= 8192) return 'medium';
  return 'high';
}

function encodeTool(t: ToolDef, q: Quirks): OutTool {
  const fn: OutTool['function'] = { name: t.name, parameters: t.parameters };
  if (t.description !== undefined) fn.description = t.description;
  if (t.strict !== undefined && !q.stripStrict) fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function encodeToolChoice(c: ToolChoice): OutToolChoice {
  return c.type === 'tool' ? { type: 'function', function: { name: c.name } } : c.type;
}

function encodeResponseFormat(f: ResponseFormat, q: Quirks): Record<string, unknown> {
  if (f.type !== 'json_schema') return { type: f.type };
  const schema: Record<string, unknown> = { name: f.name };
  if (f.schema !== undefined) schema.schema = f.schema;
  if (f.strict !== undefined && !q.stripStrict) schema.strict = f.strict;
  return { type: 'json_schema', json_schema: schema };
}

function isText(p: ContentPart): p is TextPart {
  return p.type === 'text';
}

function encodeMessages(req: ChatRequest, q: Quirks): OutMessage[] {
  const out: OutMessage[] = [];
  /**
   * Images returned by tools and other non-result parts of tool messages cannot sit in a `tool`
   * message, nor between the tool messages answering one assistant turn (OpenAI rejects that):
   * they follow the run of tool messages as one user message (translation.md §4).
   */
  let afterTools: OutContentPart[] = [];
  const flushAfterTools = (): void => {
    if (afterTools.length > 0) {
      out.push({ role: 'user', content: afterTools });
      afterTools = [];
    }
  };
  for (const m of req.messages) {
    const results = m.role === 'tool' || m.role === 'user' ? m.content.filter((p) => p.type === 'tool-result') : [];
    if (results.length > 0) {
      for (const r of results) {
        if (r.type !== 'tool-result') continue;
        const images = r.content.filter((p): p is ImagePart => p.type === 'image');
        out.push({ role: 'tool', tool_call_id: r.toolCallId, content: joinText(r.content) });
        if (images.length > 0) {
          afterTools.push({ type: 'text', text: `Images returned by tool ${r.name ?? r.toolCallId}:` });
          for (const image of images) afterTools.push(encodeImage(image));
        }
      }
      const rest = m.content.filter((p) => p.type !== 'tool-result');
      for (const p of rest) {
        const part = encodeUserPart(p);
        if (part) afterTools.push(part);
      }
      continue;
    }
    if (m.role === 'tool') continue;
    flushAfterTools();
    out.push(encodeMessage(m, q));
  }
  flushAfterTools();
  return out;
}

function encodeMessage(m: Message, q: Quirks): OutMessage {
  switch (m.role) {
    case 'system':
      // One string: older OpenAI-compatible servers accept no parts in system messages.
      return named({ role: 'system', content: m.content.filter(isText).map((p) => p.text).join('\n\n') }, m.name);
    case 'assistant':
      return named(encodeAssistant(m, q), m.name);
    default: {
      const parts: OutContentPart[] = [];
      for (const p of m.content) {
        const part = encodeUserPart(p);
        if (part) parts.push(part);
      }
      const only = parts[0];
      const content = parts.length === 1 && only?.type === 'text' ? only.text : parts.length === 0 ? '' : parts;
      return named({ role: 'user', content }, m.name);
    }
  }
}

function named<T extends OutMessage>(message: T, name: string | undefined): T {
  if (name !== undefined && message.role !== 'tool') (message as { name?: string }).name = name;
  return message;
}

function encodeUserPart(p: ContentPart): OutContentPart | undefined {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'image':
      return encodeImage(p);
    case 'document':
      // Plain-text documents read better (and work everywhere) as text; PDFs go as OpenAI file parts.
      if (p.mediaType.startsWith('text/')) return { type: 'text', text: Buffer.from(p.data, 'base64').toString('utf8') };
      return { type: 'file', file: p.filename ? { file_data: toDataUrl(p.mediaType, p.data), filename: p.filename } : { file_data: toDataUrl(p.mediaType, p.data) } };
    default:
      // Reasoning and tool calls only occur in assistant turns.
      return undefined;
  }
}

function encodeImage(p: ImagePart): OutContentPart {
  const url = p.source.kind === 'base64' ? toDataUrl(p.source.mediaType, p.source.data) : p.source.url;
  return { type: 'image_url', image_url: p.detail ? { url, detail: p.detail } : { url } };
}

function encodeAssistant(m: Message, q: Quirks): OutMessage {
  let text = '';
  let reasoning = '';
  const calls: WireToolCall[] = [];
  for (const p of m.content) {
    if (p.type === 'text') text += p.text;
    else if (p.type === 'reasoning') reasoning += p.text;
    else if (p.type === 'tool-call') {
      // servers that template tool calls parse `arguments`; "" is not JSON.
      const call: WireToolCall = { id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments === '' ? '{}' : p.arguments } };
      if (p.signature) call.extra_content = extraContent(p.signature);
      calls.push(call);
    }
  }
  // Reasoning is replayed only where the model expects it inline (MiniMax, Q-30); elsewhere it is dropped.
  if (q.inlineThinkTags && reasoning !== '') text = thinkInline(reasoning, text);
  const message: OutMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function joinText(parts: Array<TextPart | ImagePart>): string {
  let out = '';
  for (const p of parts) if (p.type === 'text') out += out === '' ? p.text : `\n${p.text}`;
  return out;
}
