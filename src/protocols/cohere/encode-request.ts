// ChatRequest -> HTTP request for a Cohere v2 chat upstream (docs/protocols/cohere.md §1–§2, §10).
// A Cohere-front request starts from the client's own body (raw), so Cohere-only fields pass through;
// any other front is built from the canonical fields.

import { jsonOver } from '../../core/raw-json.ts';
import { Buffer } from 'node:buffer';
import { GatewayError } from '../../core/errors.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest, ContentPart, ImagePart, Message, ToolResultPart } from '../../core/request.ts';
import type {
  WireDocument,
  WireImagePart,
  WireMessage,
  WireRequestBody,
  WireTextPart,
  WireThinkingPart,
  WireTool,
  WireToolCall,
} from './wire.ts';
import { COHERE } from './wire.ts';
import { toolArgumentsJson } from '../shared/tool-arguments.ts';

/** Thinking budgets for OpenAI-style efforts (same scale as the Anthropic upstream's). */
const EFFORT_BUDGET: Record<string, number> = { low: 1024, medium: 4096, high: 16384, xhigh: 32768, max: 32768 };

export function buildCohereRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest {
  // Cohere v2 has no prefill: a trailing assistant message is history, never continued (docs/continuation.md).
  if (req.continuation) throw new GatewayError('unsupported', 'continuing an assistant message is not supported by this upstream');
  // No credentials here: the provider's OutboundAuth adds the Bearer key. Same dialect: the client's
  // own bytes for what is unchanged (core/raw-json.ts).
  if (req.front === COHERE) return { url: chatUrl(endpoint.baseUrl), headers: requestHeaders(endpoint, stream), body: jsonOver({ ...req.raw, model, stream }, req.raw) };
  return { url: chatUrl(endpoint.baseUrl), headers: requestHeaders(endpoint, stream), body: JSON.stringify(bodyFromCanonical(req, model, endpoint, stream)) };
}

/** A pasted `…/v2` or `…/v2/chat` (the provider type cuts it back when config is read). */
export const PASTED_SUFFIX = /\/v2(?:\/chat)?\/?$/i;

/** The base URL is the API root; users paste it with `/v2` or the whole `/v2/chat` too (§10). */
export function chatUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '').replace(PASTED_SUFFIX, '');
  return `${base}/v2/chat`;
}

function requestHeaders(endpoint: UpstreamEndpoint, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
  for (const [name, value] of Object.entries(endpoint.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

function bodyFromCanonical(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): WireRequestBody {
  if (req.n !== undefined && req.n > 1) throw new GatewayError('unsupported', 'n>1 is not supported for this model', { param: 'n' });
  const { messages, documents } = convertMessages(req.messages);
  const body: WireRequestBody = { model, messages, stream };
  if (documents.length > 0) body.documents = documents;

  let tools = (req.tools ?? []).map(
    (t): WireTool => ({
      type: 'function',
      function: { name: t.name, parameters: parameters(t.parameters), ...(t.description !== undefined ? { description: t.description } : {}) },
    }),
  );
  const choice = req.toolChoice;
  if (choice?.type === 'tool') {
    // No named-tool choice in v2 (§2): declare only that tool and require a call.
    tools = tools.filter((t) => t.function.name === choice.name);
    if (tools.length === 0) throw new GatewayError('invalid_request', `tool_choice names ${choice.name}, which is not declared`, { param: 'tool_choice' });
  }
  if (tools.length > 0) {
    body.tools = tools;
    if (choice?.type === 'required' || choice?.type === 'tool') body.tool_choice = 'REQUIRED';
    else if (choice?.type === 'none') body.tool_choice = 'NONE';
    if (req.tools?.some((t) => t.strict === true)) body.strict_tools = true;
  }

  const maxTokens = req.maxTokens ?? endpoint.defaultMaxTokens;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (req.stop && req.stop.length > 0) {
    if (req.stop.length > 5) throw new GatewayError('unsupported', 'this upstream takes at most 5 stop sequences', { param: 'stop' });
    body.stop_sequences = req.stop;
  }
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.p = Math.min(0.99, Math.max(0.01, req.topP)); // Cohere's p range (§2)
  if (req.topK !== undefined) body.k = Math.min(500, Math.max(0, req.topK));
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;

  const format = req.responseFormat;
  if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    body.response_format = format.schema ? { type: 'json_object', json_schema: format.schema } : { type: 'json_object' };
  }
  const thinking = thinkingFor(req);
  if (thinking) body.thinking = thinking;
  return body;
}

function parameters(p: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!p || Object.keys(p).length === 0) return { type: 'object', properties: {} };
  return p.type === undefined ? { type: 'object', ...p } : p;
}

function thinkingFor(req: ChatRequest): WireRequestBody['thinking'] {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens > 0 ? { type: 'enabled', token_budget: r.budgetTokens } : { type: 'disabled' };
  if (r.effort === 'none' || r.effort === 'minimal') return { type: 'disabled' };
  if (r.effort !== undefined && Object.hasOwn(EFFORT_BUDGET, r.effort)) return { type: 'enabled', token_budget: EFFORT_BUDGET[r.effort]! };
  if (r.adaptive) return { type: 'enabled' };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------

function convertMessages(input: Message[]): { messages: WireMessage[]; documents: WireDocument[] } {
  const messages: WireMessage[] = [];
  const documents: WireDocument[] = [];
  const systemTexts: string[] = [];
  for (const m of input) {
    switch (m.role) {
      case 'system':
        for (const p of m.content) if (p.type === 'text' && p.text !== '') systemTexts.push(p.text);
        break;
      case 'user': {
        const content = userContent(m.content, documents);
        if (content !== undefined) messages.push({ role: 'user', content });
        break;
      }
      case 'assistant': {
        const msg = assistantMessage(m.content);
        if (msg) messages.push(msg);
        break;
      }
      case 'tool':
        for (const p of m.content) if (p.type === 'tool-result') messages.push(toolMessage(p));
        break;
    }
  }
  // Every system text, in order, in one leading system message (a single system turn is the safe form).
  if (systemTexts.length > 0) messages.unshift({ role: 'system', content: systemTexts.join('\n\n') });
  return { messages, documents };
}

/** Text-only content stays a string (every Cohere model takes it); images need the part list. */
function userContent(parts: ContentPart[], documents: WireDocument[]): string | Array<WireTextPart | WireImagePart> | undefined {
  const out: Array<WireTextPart | WireImagePart> = [];
  let hasImage = false;
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        if (p.text !== '') out.push({ type: 'text', text: p.text });
        break;
      case 'image':
        hasImage = true;
        out.push(imagePart(p));
        break;
      case 'document':
        documents.push(document(p));
        break;
      case 'tool-result':
        throw new GatewayError('internal', 'tool result in a user message'); // decoders put them in tool messages
      default:
        break; // reasoning and tool calls are assistant content
    }
  }
  if (out.length === 0) return documents.length > 0 ? undefined : '';
  return hasImage ? out : out.map((p) => (p as WireTextPart).text).join('\n');
}

function imagePart(p: ImagePart): WireImagePart {
  const url = p.source.kind === 'base64' ? `data:${p.source.mediaType};base64,${p.source.data}` : p.source.url;
  return { type: 'image_url', image_url: { url, ...(p.detail !== undefined ? { detail: p.detail } : {}) } };
}

/** Cohere documents are text the model may cite (§9); only plain text can become one. */
function document(p: Extract<ContentPart, { type: 'document' }>): WireDocument {
  if (p.mediaType !== 'text/plain' && !p.mediaType.startsWith('text/')) {
    throw new GatewayError('unsupported', `document type ${p.mediaType} is not supported by this upstream`);
  }
  const text = Buffer.from(p.data, 'base64').toString('utf8');
  return { data: p.filename ? { title: p.filename, text } : { text } };
}

function assistantMessage(parts: ContentPart[]): WireMessage | undefined {
  const thinking: WireThinkingPart[] = [];
  const texts: string[] = [];
  const calls: WireToolCall[] = [];
  for (const p of parts) {
    if (p.type === 'text' && p.text !== '') texts.push(p.text);
    else if (p.type === 'tool-call') calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: toolArgumentsJson(p.arguments, p.name) } });
    // Reasoning another vendor signed cannot be replayed anywhere but there; unsigned thinking can.
    else if (p.type === 'reasoning' && p.signature === undefined && p.redactedData === undefined && p.text !== '') {
      thinking.push({ type: 'thinking', thinking: p.text });
    }
  }
  const text = texts.join('');
  if (calls.length > 0) {
    // §10: with tool calls, the words before them are the plan.
    const msg: WireMessage = { role: 'assistant', tool_calls: calls };
    if (text !== '') msg.tool_plan = text;
    if (thinking.length > 0) msg.content = thinking;
    return msg;
  }
  if (thinking.length > 0) return { role: 'assistant', content: [...thinking, ...(text !== '' ? [{ type: 'text' as const, text }] : [])] };
  return text === '' ? undefined : { role: 'assistant', content: text };
}


function toolMessage(p: ToolResultPart): WireMessage {
  const texts: string[] = [];
  for (const c of p.content) {
    if (c.type === 'image') throw new GatewayError('unsupported', 'images in tool results are not supported by this upstream');
    if (c.text !== '') texts.push(c.text);
  }
  // An empty result would be refused as an empty turn; say so in words.
  const content = texts.length > 0 ? texts.join('\n') : p.isError ? '(error)' : '(no output)';
  return { role: 'tool', tool_call_id: p.toolCallId, content: p.isError && texts.length > 0 ? `Error: ${content}` : content };
}
