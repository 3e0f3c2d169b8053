// ChatRequest -> HTTP request for an Anthropic Messages upstream: the Anthropic API, Azure AI Foundry's
// `/anthropic` endpoint, MiniMax's Anthropic-compatible API (anthropic-messages.md §1–§4, §9, §10).
// An Anthropic-front request starts from the client's own body (raw), so Anthropic-only fields pass
// through; any other front is built from the canonical fields (translation.md §1–§4, §10).

import { jsonOver } from '../../core/raw-json.ts';
import { Buffer } from 'node:buffer';
import { GatewayError } from '../../core/errors.ts';
import { sanitizeToolId } from '../../core/ids.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type {
  CacheControl,
  ChatRequest,
  ContentPart,
  DocumentPart,
  ImagePart,
  Message,
  TextPart,
  ToolChoice,
  ToolDef,
  ToolResultPart,
} from '../../core/request.ts';
import { GEMINI_SIGNATURE_PREFIX } from './decode-request.ts';
import type {
  WireCacheControl,
  WireDocumentBlock,
  WireImageBlock,
  WireMessage,
  WireRequestBlock,
  WireRequestBody,
  WireTextBlock,
  WireThinking,
  WireTool,
  WireToolChoice,
  WireToolResultBlock,
  WireToolUseBlock,
} from './wire.ts';
import { anthropicQuirks, betaHeaderFor } from './quirks.ts';
import { parseToolArguments } from '../shared/tool-arguments.ts';
import { thinkingConfig } from './thinking.ts';

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * max_tokens policy for fronts where it is optional (OpenAI): the client's value, else the provider's
 * `default_max_tokens`, else 8192 — Anthropic requires the field, and 8192 is within every current
 * Claude model's output limit while long enough for ordinary answers (translation.md §10). When a
 * thinking budget does not fit below it, it is raised to budget + 1024 (budget must be < max_tokens).
 */
export const DEFAULT_MAX_TOKENS = 8192;
const THINKING_HEADROOM = 1024;

export function buildAnthropicRequest(
  req: ChatRequest,
  model: string,
  endpoint: UpstreamEndpoint,
  stream: boolean,
): UpstreamHttpRequest {
  // A continuation (docs/continuation.md) is built from the canonical fields: its prefix is not in `raw`.
  const sameDialect = req.front === 'anthropic' && !req.continuation;
  const body = sameDialect ? bodyFromRaw(req, model, endpoint, stream) : bodyFromCanonical(req, model, endpoint, stream);
  // The client's own bytes for what is unchanged (core/raw-json.ts).
  return { url: messagesUrl(endpoint.baseUrl), headers: requestHeaders(req, endpoint), body: sameDialect ? jsonOver(body, req.raw) : JSON.stringify(body) };
}

/** Users paste the base URL with or without `/v1` or the full `/v1/messages` target URI (§9). */
export function messagesUrl(baseUrl: string): string {
  let base = baseUrl.replace(/\/+$/, '');
  if (base.endsWith('/v1/messages')) base = base.slice(0, -'/v1/messages'.length);
  else if (base.endsWith('/v1')) base = base.slice(0, -'/v1'.length);
  return `${base}/v1/messages`;
}

function requestHeaders(req: ChatRequest, endpoint: UpstreamEndpoint): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
  // Beta flags only mean something to the client's own dialect (§1).
  if (req.front === 'anthropic' && req.anthropicBeta) {
    const beta = betaHeaderFor(anthropicQuirks(endpoint), req.anthropicBeta);
    if (beta !== undefined) headers['anthropic-beta'] = beta;
  }
  for (const [name, value] of Object.entries(endpoint.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

function clampTemperature(t: number, endpoint: UpstreamEndpoint): number {
  let v = Math.min(Math.max(t, 0), 1); // Anthropic's range is 0–1; OpenAI's 0–2 is clamped, not scaled
  const range = anthropicQuirks(endpoint).temperatureRange;
  if (range) v = Math.min(Math.max(v, range[0]), range[1]); // MiniMax (0,1]: 0 -> 0.01
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Same dialect: the client's body with model, stream and quirks overridden.

function bodyFromRaw(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req.raw, model, stream };
  if (typeof body.temperature === 'number') body.temperature = clampTemperature(body.temperature, endpoint);
  if (anthropicQuirks(endpoint).stripStrict && Array.isArray(body.tools)) {
    body.tools = body.tools.map((t: unknown) => {
      if (typeof t !== 'object' || t === null || !('strict' in t)) return t;
      const { strict: _strict, ...rest } = t as Record<string, unknown>;
      return rest;
    });
  }
  if (Array.isArray(body.messages)) {
    const cleaned = stripForeignThinking(body.messages);
    if (cleaned) {
      body.messages = cleaned.messages;
      // The rule quoted in §2: with thinking on, the final assistant turn of a tool loop must start
      // with its thinking block. If sluice just removed it, the request can only go without thinking
      // (the rule's own advice; translation.md §9).
      if (cleaned.lastAssistantLostThinking && isThinkingOn(body.thinking)) delete body.thinking;
    }
  }
  return body;
}

function isThinkingOn(thinking: unknown): boolean {
  return typeof thinking === 'object' && thinking !== null && (thinking as Record<string, unknown>).type !== 'disabled';
}

type RawBlock = Record<string, unknown>;

/**
 * Thinking blocks Anthropic did not sign: sluice's `gemini:` signature carriers and reasoning from
 * other upstreams (empty signature) when a conversation moves to an Anthropic target. Anthropic
 * rejects them, so they are dropped. Returns undefined when there is nothing to drop (the common case:
 * the client's array is sent as it is).
 */
function stripForeignThinking(
  messages: unknown[],
): { messages: unknown[]; lastAssistantLostThinking: boolean } | undefined {
  const isForeign = (b: unknown): boolean => {
    if (typeof b !== 'object' || b === null || (b as RawBlock).type !== 'thinking') return false;
    const sig = (b as RawBlock).signature;
    return typeof sig !== 'string' || sig === '' || sig.startsWith(GEMINI_SIGNATURE_PREFIX);
  };
  const hasForeign = messages.some((m) => {
    const content = (m as RawBlock | null)?.content;
    return Array.isArray(content) && content.some(isForeign);
  });
  if (!hasForeign) return undefined;

  let lastAssistant = -1;
  messages.forEach((m, i) => {
    if ((m as RawBlock | null)?.role === 'assistant') lastAssistant = i;
  });
  let lastAssistantLostThinking = false;
  const out: unknown[] = [];
  messages.forEach((m, i) => {
    const msg = m as RawBlock;
    const content = msg?.content;
    if (!Array.isArray(content) || !content.some(isForeign)) {
      out.push(m);
      return;
    }
    const kept = content.filter((b) => !isForeign(b));
    if (i === lastAssistant) {
      const first = (kept[0] as RawBlock | undefined)?.type;
      const usesTools = kept.some((b) => (b as RawBlock | null)?.type === 'tool_use');
      lastAssistantLostThinking = usesTools && first !== 'thinking' && first !== 'redacted_thinking';
    }
    // An assistant turn that held nothing else disappears; Anthropic merges the neighbours (§3).
    if (kept.length > 0) out.push({ ...msg, content: kept });
  });
  return { messages: out, lastAssistantLostThinking };
}

// ---------------------------------------------------------------------------------------------------
// Another dialect: build the body from the canonical request.

function bodyFromCanonical(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): WireRequestBody {
  if (req.n !== undefined && req.n > 1) {
    throw new GatewayError('unsupported', 'n>1 is not supported for this model', { param: 'n' });
  }
  // translation.md §10: silently ignoring logprobs would mislead the client.
  if (req.raw.logprobs === true) {
    throw new GatewayError('unsupported', 'logprobs is not supported for this model', { param: 'logprobs' });
  }

  const { system, messages } = convertMessages(req.messages);
  const body: WireRequestBody = { model, max_tokens: req.maxTokens ?? endpoint.defaultMaxTokens ?? DEFAULT_MAX_TOKENS, messages, stream };
  if (system !== undefined) body.system = system;

  const tools = req.tools?.map(convertTool) ?? [];
  if (tools.length > 0) {
    body.tools = tools;
    const choice = convertToolChoice(req.toolChoice, req.parallelToolCalls === false);
    if (choice) body.tool_choice = choice;
  }
  if (req.stop && req.stop.length > 0) body.stop_sequences = req.stop;

  const thinking = thinkingFor(req, messages);
  if (thinking) {
    body.thinking = thinking;
    if (thinking.type === 'enabled' && thinking.budget_tokens >= body.max_tokens) {
      body.max_tokens = thinking.budget_tokens + THINKING_HEADROOM;
    }
    // Thinking rejects temperature/top_k changes and top_p below 0.95 (§2), so those are dropped.
    if (req.topP !== undefined && req.topP >= 0.95) body.top_p = req.topP;
  } else {
    if (req.temperature !== undefined) body.temperature = clampTemperature(req.temperature, endpoint);
    if (req.topP !== undefined) body.top_p = req.topP;
    if (req.topK !== undefined) body.top_k = req.topK;
  }
  if (req.user) body.metadata = { user_id: req.user };
  // json_object has no Anthropic form; the prompt asking for JSON still applies.
  if (req.responseFormat?.type === 'json_schema' && req.responseFormat.schema) {
    body.output_config = { format: { type: 'json_schema', schema: req.responseFormat.schema } };
  }
  return body;
}

function convertMessages(input: Message[]): { system?: string | WireTextBlock[]; messages: WireMessage[] } {
  const systemParts: TextPart[] = [];
  const turns: WireMessage[] = [];
  // One mapping per request, so a call id and its result id always agree.
  const ids = new Map<string, string>();
  const toolId = (id: string): string => {
    let safe = ids.get(id);
    if (safe === undefined) ids.set(id, (safe = sanitizeToolId(id)));
    return safe;
  };
  const push = (role: 'user' | 'assistant', blocks: WireRequestBlock[]): void => {
    // Empty turns are dropped (Anthropic rejects empty content); same-role neighbours merge.
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  for (const m of input) {
    switch (m.role) {
      case 'system':
        // translation.md §1: every system/developer message, in order, in the one system field.
        for (const p of m.content) if (p.type === 'text' && p.text !== '') systemParts.push(p);
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m.content, toolId));
        break;
      case 'user':
      case 'tool':
        push('user', userBlocks(m.content, toolId));
        break;
    }
  }
  for (const t of turns) if (t.role === 'user') resultsFirst(t);
  answerEveryToolUse(turns);
  return { system: systemField(systemParts), messages: turns };
}

/** One string, or blocks when a part carries a cache breakpoint that must stay where it is. */
function systemField(parts: TextPart[]): string | WireTextBlock[] | undefined {
  if (parts.length === 0) return undefined;
  if (!parts.some((p) => p.cacheControl !== undefined)) return parts.map((p) => p.text).join('\n\n');
  return parts.map((p) => cached<WireTextBlock>({ type: 'text', text: p.text }, p));
}

/** Re-emits a canonical cache breakpoint (decode-request.ts cacheControlOf) on a wire block. */
function cached<T extends { cache_control?: WireCacheControl }>(block: T, from: { cacheControl?: CacheControl }): T {
  if (from.cacheControl !== undefined) block.cache_control = from.cacheControl;
  return block;
}

function userBlocks(parts: ContentPart[], toolId: (id: string) => string): WireRequestBlock[] {
  const blocks: WireRequestBlock[] = [];
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        if (p.text !== '') blocks.push(cached<WireTextBlock>({ type: 'text', text: p.text }, p));
        break;
      case 'image':
        blocks.push(cached(imageBlock(p), p));
        break;
      case 'document':
        blocks.push(cached(documentBlock(p), p));
        break;
      case 'tool-result':
        blocks.push(cached(toolResultBlock(p, toolId), p));
        break;
      default:
        break; // reasoning and tool calls are assistant content
    }
  }
  return blocks;
}

function assistantBlocks(parts: ContentPart[], toolId: (id: string) => string): WireRequestBlock[] {
  const blocks: WireRequestBlock[] = [];
  for (const p of parts) {
    switch (p.type) {
      case 'reasoning':
        // Only Anthropic's own thinking can be replayed: it must come back signed and unmodified.
        if (p.redactedData !== undefined) blocks.push({ type: 'redacted_thinking', data: p.redactedData });
        else if (p.signature && !p.signature.startsWith(GEMINI_SIGNATURE_PREFIX)) {
          blocks.push({ type: 'thinking', thinking: p.text, signature: p.signature });
        }
        break;
      case 'text':
        if (p.text !== '') blocks.push(cached<WireTextBlock>({ type: 'text', text: p.text }, p));
        break;
      case 'tool-call':
        blocks.push(cached<WireToolUseBlock>({ type: 'tool_use', id: toolId(p.id), name: p.name, input: parseToolArguments(p.arguments, p.name) }, p));
        break;
      default:
        break;
    }
  }
  return blocks;
}

function imageBlock(p: ImagePart): WireImageBlock {
  if (p.source.kind === 'base64') {
    return { type: 'image', source: { type: 'base64', media_type: p.source.mediaType, data: p.source.data } };
  }
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(p.source.url);
  if (dataUrl) return { type: 'image', source: { type: 'base64', media_type: dataUrl[1], data: dataUrl[2] } };
  if (p.source.url.startsWith('data:')) {
    throw new GatewayError('invalid_request', 'image data URLs must be base64-encoded');
  }
  return { type: 'image', source: { type: 'url', url: p.source.url } };
}

/** Anthropic documents are PDFs or plain text (§3); anything else cannot be sent. */
function documentBlock(p: DocumentPart): WireDocumentBlock {
  const title = p.filename ? { title: p.filename } : {};
  if (p.mediaType === 'application/pdf') {
    return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: p.data }, ...title };
  }
  if (p.mediaType === 'text/plain') {
    const text = Buffer.from(p.data, 'base64').toString('utf8');
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, ...title };
  }
  throw new GatewayError('unsupported', `document type ${p.mediaType} is not supported by this upstream`);
}

function toolResultBlock(p: ToolResultPart, toolId: (id: string) => string): WireToolResultBlock {
  const content: Array<{ type: 'text'; text: string } | WireImageBlock> = [];
  for (const c of p.content) {
    if (c.type === 'text') {
      if (c.text !== '') content.push({ type: 'text', text: c.text });
    } else content.push(imageBlock(c));
  }
  const block: WireToolResultBlock = { type: 'tool_result', tool_use_id: toolId(p.toolCallId) };
  const only = content.length === 1 ? content[0] : undefined;
  if (only?.type === 'text') block.content = only.text;
  else if (content.length > 0) block.content = content;
  if (p.isError) block.is_error = true;
  return block;
}

/** §3: within a user message, all tool_result blocks come first (stable). */
function resultsFirst(turn: WireMessage): void {
  const results = turn.content.filter((b) => b.type === 'tool_result');
  if (results.length === 0 || results.length === turn.content.length) return;
  turn.content = [...results, ...turn.content.filter((b) => b.type !== 'tool_result')];
}

/**
 * §3: every tool_use must be answered by a tool_result in the immediately next user message.
 * translation.md §4 Decision: a missing one is answered with an is_error "(no result)" result.
 */
function answerEveryToolUse(turns: WireMessage[]): void {
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (turn.role !== 'assistant') continue;
    const calls = turn.content.filter((b) => b.type === 'tool_use');
    if (calls.length === 0) continue;
    let next = turns[i + 1];
    if (next?.role !== 'user') {
      next = { role: 'user', content: [] };
      turns.splice(i + 1, 0, next);
    }
    const answered = new Set(next.content.flatMap((b) => (b.type === 'tool_result' ? [b.tool_use_id] : [])));
    const missing: WireToolResultBlock[] = calls
      .filter((c) => !answered.has(c.id))
      .map((c) => ({ type: 'tool_result', tool_use_id: c.id, content: '(no result)', is_error: true }));
    if (missing.length > 0) {
      const at = next.content.findIndex((b) => b.type !== 'tool_result');
      next.content.splice(at < 0 ? next.content.length : at, 0, ...missing);
    }
  }
}

function convertTool(t: ToolDef): WireTool {
  // `strict` is dropped: OpenAI clients set it reflexively, and Anthropic's strict mode constrains
  // schemas differently (and is missing on some hosts, §9).
  const tool: WireTool = { name: t.name, input_schema: inputSchema(t.parameters) };
  if (t.description !== undefined) tool.description = t.description;
  return cached(tool, t);
}

/** Anthropic requires an object schema (translation.md §3). */
function inputSchema(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!parameters || Object.keys(parameters).length === 0) return { type: 'object', properties: {} };
  return parameters.type === undefined ? { type: 'object', ...parameters } : parameters;
}

function convertToolChoice(choice: ToolChoice | undefined, noParallel: boolean): WireToolChoice | undefined {
  const parallel = noParallel ? { disable_parallel_tool_use: true } : {};
  switch (choice?.type) {
    case undefined:
      return noParallel ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
    case 'auto':
      return { type: 'auto', ...parallel };
    case 'required':
      return { type: 'any', ...parallel };
    case 'tool':
      return { type: 'tool', name: choice.name, ...parallel };
    case 'none':
      return { type: 'none' };
  }
}

/**
 * Canonical reasoning -> thinking. No thinking when a tool is forced (translation.md §3 Decision: the
 * two are incompatible), nor when the final assistant turn of a tool loop has no signed thinking to
 * start with (the 400 quoted in §2; translation.md §9 says to send without thinking then).
 */
function thinkingFor(req: ChatRequest, messages: WireMessage[]): WireThinking | undefined {
  const thinking = thinkingConfig(req);
  if (!thinking) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'assistant') continue;
    const first = m.content[0]?.type;
    const usesTools = m.content.some((b) => b.type === 'tool_use');
    if (usesTools && first !== 'thinking' && first !== 'redacted_thinking') return undefined;
    break;
  }
  return thinking;
}
