// openai-responses upstream: the HTTP request sluice sends to OpenAI's POST /v1/responses
// (docs/protocols/openai-responses.md §1, §4). A Responses-front request starts from the client's own
// body (`raw`): include, store, prompt_cache_key, client_metadata, hosted tools and reasoning items
// with their ids and encrypted_content go through byte for byte; only what sluice resolved itself
// (previous_response_id, item references to its store) is replaced by the items. Any other front is
// built from the canonical request, statelessly (store: false, the whole history every turn).

import { jsonOver } from '../../core/raw-json.ts';
import { Buffer } from 'node:buffer';
import { GatewayError } from '../../core/errors.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest, ContentPart, ImagePart, Message, TextPart, ToolChoice, ToolDef } from '../../core/request.ts';
import { toDataUrl } from '../openai/data-url.ts';
import { FRONT_NAME } from './decode-request.ts';
import { responsesQuirks } from './quirks.ts';
import { readResponsesSignature } from './signatures.ts';
import { frontStateOf } from './state.ts';
import type { UpstreamContent, UpstreamItem, UpstreamRequest, UpstreamTool } from './wire.ts';

export function buildResponsesRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest {
  const sameDialect = req.front === FRONT_NAME && !req.continuation;
  const body = sameDialect ? fromRaw(req, model, endpoint, stream) : fromCanonical(req, model, endpoint, stream);
  // Credentials are added by the provider's OutboundAuth (index.ts).
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
  for (const [name, value] of Object.entries(endpoint.headers)) headers[name.toLowerCase()] = value;
  // The client's own bytes for what is unchanged (core/raw-json.ts).
  return { url: responsesUrl(endpoint.baseUrl), headers, body: sameDialect ? jsonOver(body, req.raw) : JSON.stringify(body) };
}

/** Users paste the API root with or without the endpoint path. */
export function responsesUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/responses') ? base : `${base}/responses`;
}

// ---------------------------------------------------------------------------------------------
// Same dialect

function fromRaw(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req.raw, model, stream };
  const state = frontStateOf(req.frontState);
  if (state?.expanded) {
    // sluice answered previous_response_id / item_reference from its own store: OpenAI never saw those ids.
    body.input = state.input;
    delete body.previous_response_id;
  }
  if (!stream) delete body.stream_options;
  if (body.max_output_tokens == null && endpoint.defaultMaxTokens !== undefined) body.max_output_tokens = endpoint.defaultMaxTokens;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Another dialect

/** translation.md §10: Anthropic thinking budgets map to an effort by thresholds. */
function effortOf(req: ChatRequest): string | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.effort !== undefined) return r.effort;
  if (r.budgetTokens !== undefined) return r.budgetTokens <= 2048 ? 'low' : r.budgetTokens <= 8192 ? 'medium' : 'high';
  return r.adaptive ? 'medium' : undefined;
}

function fromCanonical(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamRequest {
  if (req.n !== undefined && req.n > 1) throw new GatewayError('unsupported', 'n>1 is not supported by the OpenAI Responses API', { param: 'n' });
  if (req.stop !== undefined && req.stop.length > 0) {
    throw new GatewayError('unsupported', 'stop sequences are not supported by the OpenAI Responses API', { param: 'stop' });
  }
  const last = req.messages[req.messages.length - 1];
  if ((req.front === 'anthropic' || req.continuation) && last?.role === 'assistant' && last.content.some((p) => p.type === 'text')) {
    // translation.md §1: a prefill the answer must continue cannot be honoured here, and is never dropped.
    throw new GatewayError('unsupported', 'assistant prefill is not supported by this upstream');
  }
  const quirks = responsesQuirks(endpoint);
  const body: UpstreamRequest = { model, input: encodeItems(req.messages), stream, store: false };
  const maxTokens = req.maxTokens ?? endpoint.defaultMaxTokens;
  if (maxTokens !== undefined) body.max_output_tokens = maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.tools !== undefined && req.tools.length > 0) {
    body.tools = req.tools.map(encodeTool);
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.toolChoice !== undefined) body.tool_choice = encodeToolChoice(req.toolChoice);
  if (req.responseFormat !== undefined) {
    const f = req.responseFormat;
    body.text = {
      format:
        f.type === 'json_schema'
          ? { type: 'json_schema', name: f.name, schema: f.schema ?? { type: 'object' }, ...(f.strict !== undefined && { strict: f.strict }) }
          : { type: f.type },
    };
  }
  // Only reasoning models take `reasoning` (gpt-4o rejects it), and Claude Code asks for thinking on
  // every request: translated reasoning goes upstream only where the provider opts in.
  const effort = quirks.reasoningEffort ? effortOf(req) : undefined;
  if (effort !== undefined) {
    body.reasoning = { effort, ...(req.reasoning?.include !== false && { summary: 'auto' as const }) };
    // Stateless replay of reasoning needs its encrypted form (signatures.ts).
    body.include = ['reasoning.encrypted_content'];
  }
  if (req.user !== undefined) body.user = req.user;
  return body;
}

function encodeTool(t: ToolDef): UpstreamTool {
  // Responses makes function tools strict unless told otherwise, and strict mode rejects schemas that
  // other dialects' clients write freely (optional properties, no additionalProperties: false).
  const tool: UpstreamTool = { type: 'function', name: t.name, parameters: t.parameters, strict: t.strict === true };
  if (t.description !== undefined) tool.description = t.description;
  return tool;
}

function encodeToolChoice(c: ToolChoice): UpstreamRequest['tool_choice'] {
  return c.type === 'tool' ? { type: 'function', name: c.name } : c.type;
}

function encodeItems(messages: Message[]): UpstreamItem[] {
  const out: UpstreamItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system': {
        const text = m.content.filter((p): p is TextPart => p.type === 'text').map((p) => p.text).join('\n\n');
        if (text !== '') out.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text }] });
        break;
      }
      case 'assistant':
        encodeAssistant(m.content, out);
        break;
      case 'user':
      case 'tool': {
        const rest: UpstreamContent[] = [];
        for (const p of m.content) {
          if (p.type === 'tool-result') {
            out.push({ type: 'function_call_output', call_id: p.toolCallId, output: resultOutput(p.content) });
            continue;
          }
          const c = userContent(p);
          if (c) rest.push(c);
        }
        if (rest.length > 0) out.push({ type: 'message', role: 'user', content: rest });
        break;
      }
    }
  }
  return out;
}

function encodeAssistant(parts: ContentPart[], out: UpstreamItem[]): void {
  let text = '';
  const flushText = (): void => {
    if (text !== '') out.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
    text = '';
  };
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        text += p.text;
        break;
      case 'reasoning': {
        // Only OpenAI's own reasoning can be replayed (by id and encrypted_content); others are dropped.
        const openai = readResponsesSignature(p.signature);
        if (!openai) break;
        flushText();
        out.push({
          type: 'reasoning',
          id: openai.id,
          summary: p.text === '' ? [] : [{ type: 'summary_text', text: p.text }],
          ...(openai.encryptedContent !== undefined && { encrypted_content: openai.encryptedContent }),
        });
        break;
      }
      case 'tool-call':
        flushText();
        // "" is not JSON; OpenAI parses arguments of replayed calls.
        out.push({ type: 'function_call', call_id: p.id, name: p.name, arguments: p.arguments === '' ? '{}' : p.arguments });
        break;
      default:
        break;
    }
  }
  flushText();
}

function userContent(p: ContentPart): UpstreamContent | undefined {
  switch (p.type) {
    case 'text':
      return { type: 'input_text', text: p.text };
    case 'image':
      return imageContent(p);
    case 'document':
      // Plain text reads better (and works everywhere) as text; PDFs go as input_file.
      if (p.mediaType.startsWith('text/')) return { type: 'input_text', text: Buffer.from(p.data, 'base64').toString('utf8') };
      return { type: 'input_file', file_data: toDataUrl(p.mediaType, p.data), filename: p.filename ?? 'document.pdf' };
    default:
      return undefined;
  }
}

function imageContent(p: ImagePart): UpstreamContent {
  const url = p.source.kind === 'base64' ? toDataUrl(p.source.mediaType, p.source.data) : p.source.url;
  return { type: 'input_image', image_url: url, detail: p.detail ?? 'auto' };
}

function resultOutput(content: Array<TextPart | ImagePart>): string | UpstreamContent[] {
  if (content.every((c) => c.type === 'text')) return content.map((c) => (c as TextPart).text).join('\n');
  return content.map((c) => (c.type === 'text' ? { type: 'input_text' as const, text: c.text } : imageContent(c)));
}
