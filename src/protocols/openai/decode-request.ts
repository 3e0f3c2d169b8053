// OpenAI front: a client's /v1/chat/completions body -> canonical ChatRequest (openai-chat.md §2–§4,
// translation.md §1–§4). The parsed body stays in `raw` so an OpenAI-compatible upstream receives
// unknown fields untouched; what has no canonical equivalent (custom tools, input_audio, file ids)
// lives only there.

import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.ts';
import { mintId } from '../../core/ids.ts';
import type {
  ChatRequest,
  ContentPart,
  Message,
  ReasoningConfig,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDef,
} from '../../core/request.ts';
import { parseDataUrl } from './data-url.ts';
import { isPlainChatRequest } from './plain-request.ts';
import { thoughtSignature } from './extra-content.ts';
import { requestValidationError } from './request-errors.ts';
import { chatRequestSchema, type WireMessage, type WireRequest, type WireUserPart } from './wire.ts';

/** Tool parameters when a definition omits them: "omitted = no parameters" (openai-chat.md §4). */
const NO_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

export function decodeOpenAIRequest(body: unknown, _headers: IncomingHttpHeaders): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  const w = validated(body as Record<string, unknown>);

  const req: ChatRequest = {
    model: w.model,
    messages: decodeMessages(w.messages),
    stream: w.stream === true,
    includeUsage: w.stream_options?.include_usage === true,
    front: 'openai',
    raw: body as Record<string, unknown>,
  };
  const nonPortable = findNonPortableContent(body as Record<string, unknown>);
  if (nonPortable !== undefined) req.nonPortable = nonPortable;
  const maxTokens = w.max_completion_tokens ?? w.max_tokens;
  if (maxTokens != null) req.maxTokens = maxTokens;
  if (w.temperature != null) req.temperature = w.temperature;
  if (w.top_p != null) req.topP = w.top_p;
  if (w.top_k != null) req.topK = w.top_k;
  if (w.stop != null) req.stop = typeof w.stop === 'string' ? [w.stop] : w.stop;
  if (w.seed != null) req.seed = w.seed;
  if (w.presence_penalty != null) req.presencePenalty = w.presence_penalty;
  if (w.frequency_penalty != null) req.frequencyPenalty = w.frequency_penalty;
  if (w.n != null) req.n = w.n;
  if (w.parallel_tool_calls != null) req.parallelToolCalls = w.parallel_tool_calls;
  if (w.user != null) req.user = w.user;
  // A prompt-cache key (routing hint for OpenAI's automatic cache), carried to upstreams that take one.
  const cacheKey = (body as Record<string, unknown>).prompt_cache_key;
  if (typeof cacheKey === 'string' && cacheKey !== '') req.cacheKey = cacheKey;

  const tools = decodeTools(w);
  const choice = decodeToolChoice(w, tools);
  if (choice.tools !== undefined) req.tools = choice.tools;
  if (choice.toolChoice !== undefined) req.toolChoice = choice.toolChoice;

  const responseFormat = decodeResponseFormat(w.response_format);
  if (responseFormat) req.responseFormat = responseFormat;
  const reasoning = decodeReasoning(w);
  if (reasoning) req.reasoning = reasoning;
  return req;
}

/** The body as the schema reads it: the common plain shape checked by hand, anything else by zod. */
function validated(body: Record<string, unknown>): WireRequest {
  if (isPlainChatRequest(body)) return body as WireRequest;
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) throw requestValidationError(result.error.issues, body);
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// Messages

function decodeMessages(wire: WireMessage[]): Message[] {
  /** tool_call_id -> function name, from earlier assistant turns: Gemini needs the name on results. */
  const toolNames = new Map<string, string>();
  /** Legacy `function_call`s carry no id: pair each with the next `function` message of that name. */
  const legacyIds = new Map<string, string[]>();
  const out: Message[] = [];
  wire.forEach((m, i) => {
    const at = `messages[${i}]`;
    switch (m.role) {
      case 'developer':
      case 'system':
        out.push(withName({ role: 'system', content: textOnly(m.content) }, m.name));
        return;
      case 'user':
        out.push(withName({ role: 'user', content: userContent(m.content, `${at}.content`) }, m.name));
        return;
      case 'assistant':
        out.push(withName({ role: 'assistant', content: assistantContent(m, at, toolNames, legacyIds) }, m.name));
        return;
      case 'tool':
        out.push({
          role: 'tool',
          content: [toolResult(m.tool_call_id, toolNames.get(m.tool_call_id), textOnly(m.content))],
        });
        return;
      case 'function': {
        const id = legacyIds.get(m.name)?.shift() ?? mintId('call_');
        const text: TextPart[] = [{ type: 'text', text: m.content ?? '' }];
        out.push({ role: 'tool', content: [toolResult(id, m.name, text)] });
        return;
      }
    }
  });
  return out;
}

function withName(message: Message, name: string | null | undefined): Message {
  if (name) message.name = name;
  return message;
}

function textOnly(content: string | Array<{ text: string }>): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((p) => ({ type: 'text', text: p.text }));
}

function toolResult(toolCallId: string, name: string | undefined, content: TextPart[]): ContentPart {
  return name === undefined ? { type: 'tool-result', toolCallId, content } : { type: 'tool-result', toolCallId, name, content };
}

function userContent(content: string | WireUserPart[], at: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: ContentPart[] = [];
  content.forEach((p, j) => {
    const partAt = `${at}[${j}]`;
    switch (p.type) {
      case 'text':
        parts.push({ type: 'text', text: p.text });
        return;
      case 'image_url': {
        const url = p.image_url.url;
        const detail = p.image_url.detail ?? undefined;
        const data = parseDataUrl(url);
        if (data) {
          parts.push({ type: 'image', source: { kind: 'base64', mediaType: data.mediaType, data: data.data }, ...(detail && { detail }) });
        } else if (/^https?:\/\//i.test(url)) {
          parts.push({ type: 'image', source: { kind: 'url', url }, ...(detail && { detail }) });
        } else {
          throw invalid(`${partAt}.image_url.url`, 'expected an http(s) URL or a base64 data URL');
        }
        return;
      }
      case 'file': {
        const fileData = p.file.file_data;
        if (fileData) {
          parts.push(documentPart(fileData, p.file.filename ?? undefined, `${partAt}.file.file_data`));
        } else if (!p.file.file_id) {
          throw invalid(`${partAt}.file`, 'expected file_data or file_id');
        }
        // A file_id is provider-specific (translation.md §2): it stays in `raw` for OpenAI upstreams.
        return;
      }
      case 'input_audio':
        // Only OpenAI upstreams take audio (translation.md §2); it stays in `raw` for them.
        return;
    }
  });
  return parts;
}

function documentPart(fileData: string, filename: string | undefined, at: string): ContentPart {
  const parsed = parseDataUrl(fileData);
  if (fileData.startsWith('data:') && !parsed) throw invalid(at, 'data URLs must be base64-encoded');
  // OpenAI documents file_data as base64; a bare payload is taken as a PDF unless the name says text.
  const mediaType = parsed?.mediaType ?? (filename && /\.(txt|md)$/i.test(filename) ? 'text/plain' : 'application/pdf');
  const data = parsed?.data ?? fileData;
  return filename ? { type: 'document', mediaType, data, filename } : { type: 'document', mediaType, data };
}

type WireAssistant = Extract<WireMessage, { role: 'assistant' }>;

function assistantContent(
  m: WireAssistant,
  at: string,
  toolNames: Map<string, string>,
  legacyIds: Map<string, string[]>,
): ContentPart[] {
  const parts: ContentPart[] = [];
  // Reasoning replayed by clients in the DeepSeek/vLLM (`reasoning_content`) or OpenRouter
  // (`reasoning`) convention; MiniMax needs it back.
  const reasoning = (m as Record<string, unknown>).reasoning_content ?? (m as Record<string, unknown>).reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') parts.push({ type: 'reasoning', text: reasoning });
  if (typeof m.content === 'string') {
    if (m.content !== '') parts.push({ type: 'text', text: m.content });
  } else if (m.content) {
    for (const p of m.content) {
      const text = p.type === 'text' ? p.text : p.refusal;
      if (text !== '') parts.push({ type: 'text', text });
    }
  }
  if (m.refusal && !parts.some((p) => p.type === 'text')) parts.push({ type: 'text', text: m.refusal });
  m.tool_calls?.forEach((call, k) => {
    // Custom tools have no canonical form; their calls stay in `raw` for OpenAI upstreams.
    if (call.type === 'custom') return;
    const args = typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments);
    if (call.id === '') throw invalid(`${at}.tool_calls[${k}].id`, 'expected a non-empty string');
    const part: ContentPart = { type: 'tool-call', id: call.id, name: call.function.name, arguments: args };
    const signature = thoughtSignature(call.extra_content);
    if (signature !== undefined) part.signature = signature;
    toolNames.set(call.id, call.function.name);
    parts.push(part);
  });
  if (m.function_call) {
    const id = mintId('call_');
    const args = typeof m.function_call.arguments === 'string' ? m.function_call.arguments : JSON.stringify(m.function_call.arguments);
    parts.push({ type: 'tool-call', id, name: m.function_call.name, arguments: args });
    const queue = legacyIds.get(m.function_call.name);
    if (queue) queue.push(id);
    else legacyIds.set(m.function_call.name, [id]);
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Tools, tool choice, response format, reasoning

function decodeTools(w: WireRequest): ToolDef[] | undefined {
  if (w.tools != null) {
    const defs: ToolDef[] = [];
    for (const t of w.tools) {
      // Custom (free-text) tools exist only on OpenAI (openai-chat.md §4): kept in `raw`.
      if (t.type !== 'function') continue;
      const def: ToolDef = { name: t.function.name, parameters: t.function.parameters ?? NO_PARAMETERS };
      if (t.function.description != null) def.description = t.function.description;
      if (t.function.strict != null) def.strict = t.function.strict;
      defs.push(def);
    }
    return defs;
  }
  if (w.functions != null) {
    return w.functions.map((f) => {
      const def: ToolDef = { name: f.name, parameters: f.parameters ?? NO_PARAMETERS };
      if (f.description != null) def.description = f.description;
      return def;
    });
  }
  return undefined;
}

function decodeToolChoice(w: WireRequest, tools: ToolDef[] | undefined): { tools?: ToolDef[]; toolChoice?: ToolChoice } {
  const tc = w.tool_choice;
  if (tc != null) {
    if (typeof tc === 'string') return { tools, toolChoice: { type: tc } };
    switch (tc.type) {
      case 'function':
        return { tools, toolChoice: { type: 'tool', name: tc.function.name } };
      case 'custom':
        return { tools, toolChoice: { type: 'tool', name: tc.custom.name } };
      case 'allowed_tools': {
        // The allowed subset becomes the tool list for upstreams without an equivalent (translation.md §3).
        const allowed = new Set(tc.allowed_tools.tools.map((t) => (t.type === 'function' ? t.function.name : t.custom.name)));
        return {
          tools: tools?.filter((t) => allowed.has(t.name)),
          toolChoice: { type: tc.allowed_tools.mode === 'required' ? 'required' : 'auto' },
        };
      }
    }
  }
  const legacy = w.function_call;
  if (legacy != null) {
    return { tools, toolChoice: typeof legacy === 'string' ? { type: legacy } : { type: 'tool', name: legacy.name } };
  }
  return { tools };
}

function decodeResponseFormat(rf: WireRequest['response_format']): ResponseFormat | undefined {
  if (rf == null) return undefined;
  if (rf.type !== 'json_schema') return { type: rf.type };
  const out: ResponseFormat = { type: 'json_schema', name: rf.json_schema.name };
  if (rf.json_schema.schema != null) out.schema = rf.json_schema.schema;
  if (rf.json_schema.strict != null) out.strict = rf.json_schema.strict;
  return out;
}

/**
 * Decision (FrontContext.includeReasoning): the client wants reasoning text streamed back as
 * `reasoning_content` when it says so explicitly (`include_reasoning: true`, OpenRouter's flag), sends
 * OpenRouter's `reasoning` object without `exclude: true`, or asks for reasoning with
 * `reasoning_effort` (anything but "none"). An explicit `include_reasoning: false` wins over the rest.
 */
function decodeReasoning(w: WireRequest): ReasoningConfig | undefined {
  const r = w.reasoning ?? undefined;
  let effort = w.reasoning_effort ?? r?.effort ?? undefined;
  if (effort === undefined && r?.enabled === false) effort = 'none';
  if (effort === undefined && r === undefined && w.include_reasoning == null) return undefined;
  const out: ReasoningConfig = {};
  if (effort !== undefined) out.effort = effort;
  if (r?.max_tokens != null) out.budgetTokens = r.max_tokens;
  if (w.include_reasoning != null) out.include = w.include_reasoning;
  else if (r !== undefined) out.include = r.exclude !== true && r.enabled !== false;
  else out.include = effort !== 'none';
  return out;
}

function invalid(param: string, problem: string): GatewayError {
  return new GatewayError('invalid_request', `Invalid value for '${param}': ${problem}.`, { param });
}

/**
 * Content with no canonical form (translation.md §2, §10): custom tools, audio input and uploaded
 * file ids only an OpenAI upstream can take. Returns why another dialect must refuse the request.
 */
export function findNonPortableContent(raw: Record<string, unknown>): string | undefined {
  const tools = Array.isArray(raw.tools) ? (raw.tools as Array<{ type?: unknown }>) : [];
  if (tools.some((t) => t?.type === 'custom')) return 'custom tools are only supported by OpenAI upstreams';
  const messages = Array.isArray(raw.messages) ? (raw.messages as Array<Record<string, unknown>>) : [];
  for (const m of messages) {
    if (Array.isArray(m?.tool_calls) && (m.tool_calls as Array<{ type?: unknown }>).some((c) => c?.type === 'custom')) {
      return 'custom tool calls are only supported by OpenAI upstreams';
    }
    if (!Array.isArray(m?.content)) continue;
    for (const part of m.content as Array<Record<string, any>>) {
      if (part?.type === 'input_audio') return 'audio input is only supported by OpenAI upstreams';
      if (part?.type === 'file' && part.file && !part.file.file_data && part.file.file_id) {
        return 'uploaded file ids are only supported by the upstream that issued them';
      }
    }
  }
  return undefined;
}
