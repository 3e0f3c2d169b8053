// Anthropic Messages request body -> canonical ChatRequest (front side; anthropic-messages.md §2–§4,
// §11). The parsed body stays in `raw` untouched: an Anthropic upstream starts from it, so fields and
// blocks without a canonical form (cache_control, server tools, file sources, context_management…)
// still reach Anthropic. Other upstreams only see what the canonical request can say.

import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';
import type {
  CacheControl,
  ChatRequest,
  ContentPart,
  ImagePart,
  Message,
  ReasoningConfig,
  TextPart,
  ToolChoice,
  ToolDef,
  ToolResultPart,
} from '../../core/request.ts';
import {
  Base64SourceSchema,
  ClientToolSchema,
  DocumentBlockSchema,
  ImageBlockSchema,
  RedactedThinkingBlockSchema,
  RequestSchema,
  TextBlockSchema,
  TextSourceSchema,
  ThinkingBlockSchema,
  ToolResultBlockSchema,
  ToolUseBlockSchema,
  UrlSourceSchema,
  type WireRequest,
} from './wire.ts';

/** Prefix of a synthetic thinking block that carries a Gemini thought signature (encode-stream.ts). */
export const GEMINI_SIGNATURE_PREFIX = 'gemini:';

export function decodeAnthropicRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  const wire = check(RequestSchema, body, '');
  const raw = body as Record<string, unknown>;

  const messages: Message[] = [];
  const system = systemParts(wire.system);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  const toolNames = new Map<string, string>();
  wire.messages.forEach((m, i) => decodeMessage(m, `messages.${i}`, toolNames, messages));

  const req: ChatRequest = {
    model: wire.model,
    messages,
    stream: wire.stream === true,
    // Anthropic always reports usage; the OpenAI-only flag means nothing here.
    includeUsage: false,
    maxTokens: wire.max_tokens,
    front: 'anthropic',
    raw,
  };
  const nonPortable = findNonPortableContent(raw);
  if (nonPortable !== undefined) req.nonPortable = nonPortable;
  if (wire.temperature !== undefined) req.temperature = wire.temperature;
  if (wire.top_p !== undefined) req.topP = wire.top_p;
  if (wire.top_k !== undefined) req.topK = wire.top_k;
  if (wire.stop_sequences !== undefined && wire.stop_sequences.length > 0) req.stop = wire.stop_sequences;
  if (typeof wire.metadata?.user_id === 'string') req.user = wire.metadata.user_id;

  const tools = decodeTools(wire.tools);
  if (tools.length > 0) req.tools = tools;
  if (wire.tool_choice) {
    req.toolChoice = decodeToolChoice(wire.tool_choice);
    if (wire.tool_choice.type !== 'none' && wire.tool_choice.disable_parallel_tool_use === true) {
      req.parallelToolCalls = false;
    }
  }

  const reasoning = decodeReasoning(wire);
  if (reasoning) req.reasoning = reasoning;
  const format = wire.output_config?.format;
  if (format?.type === 'json_schema' && format.schema) {
    req.responseFormat = { type: 'json_schema', name: 'response', schema: format.schema };
  }

  const beta = headers['anthropic-beta'];
  if (beta !== undefined && beta.length > 0) req.anthropicBeta = Array.isArray(beta) ? beta.join(',') : beta;
  return req;
}

// ---------------------------------------------------------------------------------------------------

/** Validates `value` and turns the first zod issue into Anthropic's `path: message` wording. */
function check<T extends z.ZodType>(schema: T, value: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(value, {
    error: (issue) => (issue.input === undefined ? 'Field required' : undefined),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const full = [path, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  const where = full === '' ? 'request body: ' : `${full}: `;
  throw new GatewayError('invalid_request', `${where}${issue?.message ?? 'invalid value'}`, {
    param: full === '' ? undefined : full,
  });
}

function invalid(path: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `${path}: ${message}`, { param: path });
}

/**
 * One text part per system block, each keeping its cache breakpoint (Claude Code marks two of its
 * three, docs/clients/claude-code.md C-4); dialects with one system string join them with a blank
 * line (translation.md §1 Decision).
 */
function systemParts(system: WireRequest['system']): TextPart[] {
  if (system === undefined) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ type: 'text', text: system }];
  const parts: TextPart[] = [];
  for (const b of system) if (b.text !== '') parts.push(withCache({ type: 'text', text: b.text }, b));
  return parts;
}

/**
 * A block's `cache_control` (`{type:"ephemeral", ttl?}`), carried on the canonical part so that it is
 * re-emitted where the target dialect has per-block cache hints and dropped silently elsewhere.
 */
export function cacheControlOf(block: unknown): CacheControl | undefined {
  const cc = (block as { cache_control?: unknown } | null)?.cache_control;
  if (typeof cc !== 'object' || cc === null) return undefined;
  const { type, ttl } = cc as { type?: unknown; ttl?: unknown };
  if (type !== 'ephemeral') return undefined;
  return typeof ttl === 'string' ? { type, ttl } : { type };
}

function withCache<T extends object>(part: T, block: unknown): T {
  const cc = cacheControlOf(block);
  if (cc !== undefined) (part as { cacheControl?: CacheControl }).cacheControl = cc;
  return part;
}

type WireMessage = WireRequest['messages'][number];

/**
 * One wire message -> canonical messages. A user message's tool_result blocks become a `tool` message
 * followed by a `user` message for the rest (core/request.ts: results travel in tool messages).
 */
function decodeMessage(m: WireMessage, path: string, toolNames: Map<string, string>, out: Message[]): void {
  if (typeof m.content === 'string') {
    out.push({ role: m.role, content: [{ type: 'text', text: m.content }] });
    return;
  }
  if (m.role === 'system') {
    // Claude Code's mid-conversation system message (§11): only its text has a canonical form.
    const text: TextPart[] = [];
    m.content.forEach((b, j) => {
      if (b.type === 'text') text.push(withCache({ type: 'text', text: check(TextBlockSchema, b, `${path}.content.${j}`).text }, b));
    });
    out.push({ role: 'system', content: text });
    return;
  }
  if (m.role === 'assistant') {
    out.push({ role: 'assistant', content: decodeAssistantBlocks(m.content, path, toolNames) });
    return;
  }
  const results: ToolResultPart[] = [];
  const rest: ContentPart[] = [];
  m.content.forEach((b, j) => {
    const at = `${path}.content.${j}`;
    switch (b.type) {
      case 'tool_result':
        results.push(decodeToolResult(b, at, toolNames));
        break;
      case 'tool_use':
      case 'thinking':
      case 'redacted_thinking':
        throw invalid(at, `${b.type} blocks are only allowed in assistant messages`);
      default: {
        const part = decodeCommonBlock(b, at);
        if (part) rest.push(part);
      }
    }
  });
  if (results.length > 0) out.push({ role: 'tool', content: results });
  if (rest.length > 0 || results.length === 0) out.push({ role: 'user', content: rest });
}

function decodeAssistantBlocks(blocks: Array<{ type: string }>, path: string, toolNames: Map<string, string>): ContentPart[] {
  const parts: ContentPart[] = [];
  // A Gemini thought signature sluice wrapped in a thinking block belongs to the next tool_use
  // (protocol-common: Anthropic front, encode-stream.ts).
  let pendingToolSignature: string | undefined;
  blocks.forEach((b, j) => {
    const at = `${path}.content.${j}`;
    switch (b.type) {
      case 'tool_use': {
        const t = check(ToolUseBlockSchema, b, at);
        toolNames.set(t.id, t.name);
        parts.push(
          withCache(
            {
              type: 'tool-call',
              id: t.id,
              name: t.name,
              arguments: JSON.stringify(t.input ?? {}),
              ...(pendingToolSignature !== undefined ? { signature: pendingToolSignature } : {}),
            },
            b,
          ),
        );
        pendingToolSignature = undefined;
        break;
      }
      case 'thinking': {
        const t = check(ThinkingBlockSchema, b, at);
        if (t.signature?.startsWith(GEMINI_SIGNATURE_PREFIX)) {
          pendingToolSignature = t.signature.slice(GEMINI_SIGNATURE_PREFIX.length);
        } else {
          parts.push({ type: 'reasoning', text: t.thinking, ...(t.signature ? { signature: t.signature } : {}) });
        }
        break;
      }
      case 'redacted_thinking':
        parts.push({ type: 'reasoning', text: '', redactedData: check(RedactedThinkingBlockSchema, b, at).data });
        break;
      case 'tool_result':
        throw invalid(at, 'tool_result blocks are only allowed in user messages');
      default: {
        const part = decodeCommonBlock(b, at);
        if (part) parts.push(part);
      }
    }
  });
  return parts;
}

/**
 * text, image and document blocks. Blocks without a canonical form (server-tool blocks, search
 * results, file/content sources, future types) give undefined: they stay in `raw`, which only an
 * Anthropic upstream uses; see findNonPortableContent for upstreams that must refuse them.
 */
function decodeCommonBlock(b: { type: string }, at: string): ContentPart | undefined {
  const part = decodeCommonBlockContent(b, at);
  return part === undefined ? undefined : withCache(part, b);
}

function decodeCommonBlockContent(b: { type: string }, at: string): ContentPart | undefined {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: check(TextBlockSchema, b, at).text };
    case 'image':
      return decodeImage(b, at);
    case 'document': {
      const d = check(DocumentBlockSchema, b, at);
      const filename = d.title ?? undefined;
      if (d.source.type === 'base64') {
        const s = check(Base64SourceSchema, d.source, `${at}.source`);
        return { type: 'document', mediaType: s.media_type, data: s.data, ...(filename ? { filename } : {}) };
      }
      if (d.source.type === 'text') {
        // Plain-text documents travel as base64 like every canonical document (core/request.ts).
        const s = check(TextSourceSchema, d.source, `${at}.source`);
        const data = Buffer.from(s.data, 'utf8').toString('base64');
        return { type: 'document', mediaType: 'text/plain', data, ...(filename ? { filename } : {}) };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function decodeImage(b: { type: string }, at: string): ImagePart | undefined {
  const img = check(ImageBlockSchema, b, at);
  if (img.source.type === 'base64') {
    const s = check(Base64SourceSchema, img.source, `${at}.source`);
    return { type: 'image', source: { kind: 'base64', mediaType: s.media_type, data: s.data } };
  }
  if (img.source.type === 'url') {
    return { type: 'image', source: { kind: 'url', url: check(UrlSourceSchema, img.source, `${at}.source`).url } };
  }
  return undefined;
}

function decodeToolResult(b: { type: string }, at: string, toolNames: Map<string, string>): ToolResultPart {
  const r = check(ToolResultBlockSchema, b, at);
  const content: Array<TextPart | ImagePart> = [];
  if (typeof r.content === 'string') {
    if (r.content !== '') content.push({ type: 'text', text: r.content });
  } else if (r.content) {
    r.content.forEach((c, k) => {
      const cat = `${at}.content.${k}`;
      if (c.type === 'text') content.push({ type: 'text', text: check(TextBlockSchema, c, cat).text });
      else if (c.type === 'image') {
        const img = decodeImage(c, cat);
        if (img) content.push(img);
      }
    });
  }
  const part: ToolResultPart = withCache({ type: 'tool-result', toolCallId: r.tool_use_id, content }, b);
  const name = toolNames.get(r.tool_use_id);
  if (name !== undefined) part.name = name;
  if (r.is_error === true) part.isError = true;
  return part;
}

/** Client tools only; typed server tools (web_search_20250305, bash_…) stay in raw (§4). */
function decodeTools(tools: WireRequest['tools']): ToolDef[] {
  const out: ToolDef[] = [];
  tools?.forEach((t, i) => {
    const typed = typeof t.type === 'string' && t.type !== 'custom';
    if (typed && t.input_schema === undefined) return;
    // A deferred tool (advanced tool use, Claude Code's DeferredToolPlaceholder) is loaded on demand
    // by Anthropic's tool search; no other dialect can, so it stays in raw (docs/clients/claude-code.md C-6).
    if ((t as { defer_loading?: unknown }).defer_loading === true) return;
    const c = check(ClientToolSchema, t, `tools.${i}`);
    const def: ToolDef = withCache({ name: c.name, parameters: c.input_schema }, t);
    if (c.description !== undefined) def.description = c.description;
    if (c.strict !== undefined) def.strict = c.strict;
    out.push(def);
  });
  return out;
}

function decodeToolChoice(choice: NonNullable<WireRequest['tool_choice']>): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return { type: 'auto' };
    case 'any':
      return { type: 'required' };
    case 'tool':
      return { type: 'tool', name: choice.name };
    case 'none':
      return { type: 'none' };
  }
}

/** thinking + output_config.effort -> canonical reasoning; `display: "omitted"` asks for no thinking text. */
function decodeReasoning(wire: WireRequest): ReasoningConfig | undefined {
  const thinking = wire.thinking;
  const effort = wire.output_config?.effort;
  let reasoning: ReasoningConfig | undefined;
  if (thinking?.type === 'enabled') reasoning = { budgetTokens: thinking.budget_tokens };
  else if (thinking?.type === 'adaptive') reasoning = { adaptive: true };
  if (effort !== undefined) reasoning = { ...reasoning, effort };
  if (!reasoning) return undefined;
  const display = thinking && 'display' in thinking ? thinking.display : undefined;
  reasoning.include = display !== 'omitted';
  return reasoning;
}

// ---------------------------------------------------------------------------------------------------

const PORTABLE_BLOCKS = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

/**
 * For upstreams of another dialect: the first thing in an Anthropic-front request that the canonical
 * request could not carry (a server tool, a server-tool or search_result block, a file/url/content
 * source the target cannot take), as a message for GatewayError('unsupported', …); undefined when
 * everything translated. The decoder keeps such content in raw for Anthropic upstreams only.
 */
export function findNonPortableContent(raw: Record<string, unknown>): string | undefined {
  const tools = raw.tools;
  if (Array.isArray(tools)) {
    for (const t of tools) {
      const type = (t as Record<string, unknown> | null)?.type;
      if (typeof type === 'string' && type !== 'custom' && (t as Record<string, unknown>).input_schema === undefined) {
        return `server tool ${type} is not supported for this upstream`;
      }
    }
  }
  const messages = raw.messages;
  if (!Array.isArray(messages)) return undefined;
  for (const m of messages) {
    const content = (m as Record<string, unknown> | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const b of content) {
      const problem = nonPortableBlock(b);
      if (problem) return problem;
      const inner = (b as Record<string, unknown>).content;
      if ((b as Record<string, unknown>).type === 'tool_result' && Array.isArray(inner)) {
        for (const c of inner) {
          const type = (c as Record<string, unknown> | null)?.type;
          if (type !== 'text' && type !== 'image') return `unsupported content block type ${String(type)} in tool_result for this upstream`;
          const innerProblem = nonPortableBlock(c);
          if (innerProblem) return innerProblem;
        }
      }
    }
  }
  return undefined;
}

function nonPortableBlock(b: unknown): string | undefined {
  if (typeof b !== 'object' || b === null) return undefined;
  const block = b as Record<string, unknown>;
  const type = block.type;
  if (typeof type !== 'string' || !PORTABLE_BLOCKS.has(type)) {
    return `unsupported content block type ${String(type)} for this upstream`;
  }
  if (type === 'image' || type === 'document') {
    const source = (block.source as Record<string, unknown> | undefined)?.type;
    const ok = source === 'base64' || (type === 'image' ? source === 'url' : source === 'text');
    if (!ok) return `unsupported ${type} source type ${String(source)} for this upstream`;
  }
  return undefined;
}
