// Responses front: a client's POST /v1/responses body -> canonical ChatRequest
// (docs/protocols/openai-responses.md §1, §4, §5). The parsed body stays in `raw`: an
// openai-responses upstream starts from it, so include, store, prompt_cache_key, client_metadata,
// reasoning items with encrypted_content and unknown item types reach OpenAI untouched.
// Asynchronous because previous_response_id and item_reference are read from the store.

import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.ts';
import type { FrontRequestInfo, FrontServices } from '../../core/protocol.ts';
import type { ChatRequest, Message, ReasoningConfig, ResponseFormat } from '../../core/request.ts';
import { formatDuration } from '../../config/units.ts';
import { decodeItems } from './decode-items.ts';
import { ResponsesFrontState } from './state.ts';
import { documentsOf, loadItem, loadResponse, readSettings } from './store.ts';
import { decodeToolChoice, decodeTools } from './tools.ts';
import { check } from './validate.ts';
import { responsesRequestSchema, type WireRequest, type WireTextFormat } from './wire.ts';

export const FRONT_NAME = 'openai-responses';

export async function decodeResponsesRequest(body: unknown, info: FrontRequestInfo, services: FrontServices): Promise<ChatRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  const raw = body as Record<string, unknown>;
  const w = check(responsesRequestSchema, body, { root: body, at: [] });
  if (w.background === true) {
    throw new GatewayError('unsupported', 'background responses are not supported by sluice; send the request without background: true.', { param: 'background' });
  }
  const settings = readSettings(services.settings);
  const docs = documentsOf(services);
  let nonPortable: string | undefined;

  // Earlier turns: the stored response and the input it answered (SPEC §3.1). Never a silent answer
  // without them.
  let history: unknown[] = [];
  if (w.previous_response_id != null) {
    const id = w.previous_response_id;
    if (!docs) {
      throw new GatewayError(
        'invalid_request',
        `previous_response_id '${id}' cannot be used: this sluice keeps no responses (set responses.store: true in its config), so the earlier turns are unknown. Send the whole conversation in input instead.`,
        { param: 'previous_response_id' },
      );
    }
    const stored = await loadResponse(docs, id, info.keyName);
    if (!stored) {
      throw new GatewayError(
        'invalid_request',
        `Previous response with id '${id}' not found: it is unknown to this sluice or expired (responses are kept for ${formatRetention(settings.retentionMs)}).`,
        { param: 'previous_response_id' },
      );
    }
    history = [...stored.input, ...stored.response.output];
  }
  if (w.conversation != null) nonPortable ??= 'conversation state is only supported by openai-responses upstreams';

  const clientItems: unknown[] = typeof w.input === 'string' ? [{ role: 'user', content: w.input }] : (w.input ?? []);
  // Item references to responses sluice stored are replaced by the item. The others stay: an
  // openai-responses upstream may know them (ids of its own items pass through sluice unchanged).
  let resolvedAny = false;
  const items: unknown[] = [...history];
  for (const item of clientItems) {
    const id = referenceId(item);
    if (id === undefined) {
      items.push(item);
      continue;
    }
    const found = docs ? await loadItem(docs, id, info.keyName) : undefined;
    if (found) {
      items.push(found);
      resolvedAny = true;
    } else {
      items.push(item);
      nonPortable ??= docs
        ? `item_reference '${id}' is not in sluice's store (unknown or expired); only an openai-responses upstream can resolve it`
        : `item_reference '${id}' cannot be resolved: sluice keeps no responses (set responses.store: true), and only an openai-responses upstream can resolve it`;
    }
  }
  if (items.length === 0 && (w.instructions ?? '') === '') {
    const message = Array.isArray(w.input)
      ? "Invalid 'input': empty array. Expected a string or an array with at least one item (or instructions, or previous_response_id)."
      : "Missing required parameter: 'input'.";
    throw new GatewayError('invalid_request', message, { param: 'input' });
  }

  const tools = decodeTools((w.tools ?? []) as Array<Record<string, unknown>>, body);
  const choice = decodeToolChoice(w.tool_choice, tools);
  const builtIns = choice.hosted !== undefined && !tools.builtIns.includes(choice.hosted) ? [...tools.builtIns, choice.hosted] : tools.builtIns;
  if (builtIns.length > 0) {
    if (isCodex(info.headers)) {
      // §5.2 Decision: Codex's hosted tools are left out for upstreams that cannot run them.
      services.log({ tools: builtIns }, 'responses: Codex hosted tools are dropped unless the upstream speaks openai-responses');
    } else {
      nonPortable ??= `built-in tool ${builtIns.map((t) => `"${t}"`).join(', ')} is only supported by openai-responses upstreams`;
    }
  }

  const decoded = decodeItems(items, body, history.length, tools.namespaces);
  nonPortable ??= decoded.nonPortable;
  if (decoded.dropped.length > 0) {
    services.log({ items: [...new Set(decoded.dropped)] }, 'responses: input items without a portable form are dropped unless the upstream speaks openai-responses');
  }

  const messages: Message[] = decoded.messages;
  if (w.instructions != null && w.instructions !== '') messages.unshift({ role: 'system', content: [{ type: 'text', text: w.instructions }] });

  const req: ChatRequest = {
    model: w.model,
    messages,
    stream: w.stream === true,
    // Responses always carry usage (response.completed); upstreams are asked for it whatever happens.
    includeUsage: true,
    front: FRONT_NAME,
    raw,
  };
  if (nonPortable !== undefined) req.nonPortable = nonPortable;
  if (w.max_output_tokens != null) req.maxTokens = w.max_output_tokens;
  if (w.temperature != null) req.temperature = w.temperature;
  if (w.top_p != null) req.topP = w.top_p;
  if (w.parallel_tool_calls != null) req.parallelToolCalls = w.parallel_tool_calls;
  const user = w.user ?? w.safety_identifier;
  if (user != null) req.user = user;
  if (choice.defs.length > 0 || w.tools != null) req.tools = choice.defs;
  if (choice.toolChoice !== undefined) req.toolChoice = choice.toolChoice;
  const format = responseFormat(w.text?.format);
  if (format) req.responseFormat = format;
  const reasoning = reasoningConfig(w);
  if (reasoning) req.reasoning = reasoning;
  req.frontState = new ResponsesFrontState({
    input: items,
    expanded: history.length > 0 || resolvedAny,
    tools: tools.origins,
    store: docs !== undefined && w.store !== false,
    owner: info.keyName,
    retentionMs: settings.retentionMs,
    template: template(w),
  });
  return req;
}

/** The id of an item_reference (its `type` may be omitted: openai-node's ItemReference). */
function referenceId(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.id !== 'string') return undefined;
  if (o.type === 'item_reference') return o.id;
  if ((o.type === undefined || o.type === null) && o.role === undefined && o.content === undefined) return o.id;
  return undefined;
}

/** Codex identifies itself in `originator` and its User-Agent (docs/clients/codex.md). */
export function isCodex(headers: IncomingHttpHeaders): boolean {
  const originator = headers.originator;
  const ua = headers['user-agent'];
  return (typeof originator === 'string' && originator.startsWith('codex')) || (typeof ua === 'string' && ua.startsWith('codex'));
}

function responseFormat(f: WireTextFormat | null | undefined): ResponseFormat | undefined {
  if (f == null) return undefined;
  if (f.type !== 'json_schema') return { type: f.type };
  const out: ResponseFormat = { type: 'json_schema', name: f.name, schema: f.schema };
  if (f.strict != null) out.strict = f.strict;
  return out;
}

/**
 * `reasoning.effort` maps to each upstream's thinking control (docs/translation.md §10); a summary
 * request means the client shows reasoning, which Responses clients receive as reasoning items.
 */
function reasoningConfig(w: WireRequest): ReasoningConfig | undefined {
  const r = w.reasoning;
  if (r == null) return undefined;
  const out: ReasoningConfig = {};
  if (r.effort != null) out.effort = r.effort;
  out.include = (r.summary ?? r.generate_summary) != null || (r.effort != null && r.effort !== 'none');
  return out;
}

function template(w: WireRequest): ResponsesFrontState['template'] {
  const format = w.text?.format ?? { type: 'text' };
  return {
    object: 'response',
    background: false,
    instructions: w.instructions ?? null,
    max_output_tokens: w.max_output_tokens ?? null,
    max_tool_calls: w.max_tool_calls ?? null,
    parallel_tool_calls: w.parallel_tool_calls ?? true,
    previous_response_id: w.previous_response_id ?? null,
    prompt_cache_key: w.prompt_cache_key ?? null,
    reasoning: { effort: w.reasoning?.effort ?? null, summary: w.reasoning?.summary ?? w.reasoning?.generate_summary ?? null },
    safety_identifier: w.safety_identifier ?? null,
    service_tier: 'default',
    store: w.store ?? true,
    temperature: w.temperature ?? null,
    text: { format: format as Record<string, unknown>, verbosity: w.text?.verbosity ?? 'medium' },
    tool_choice: w.tool_choice ?? 'auto',
    tools: w.tools ?? [],
    top_logprobs: w.top_logprobs ?? 0,
    top_p: w.top_p ?? null,
    truncation: w.truncation ?? 'disabled',
    user: w.user ?? null,
    metadata: w.metadata ?? {},
  };
}

function formatRetention(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  return formatDuration(ms);
}
