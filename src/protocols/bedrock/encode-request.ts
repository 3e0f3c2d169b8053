// ChatRequest -> Converse / ConverseStream request (bedrock.md §3, Q-35). A request from the Bedrock
// front's Converse routes starts from the client's own body (raw), so Converse-only fields
// (guardrailConfig, promptVariables, additionalModelRequestFields…) pass through; any other front is
// built from the canonical fields. Model-native fields depend on the model family (family.ts).

import { GatewayError } from '../../core/errors.ts';
import { sanitizeToolId } from '../../core/ids.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest, ContentPart, DocumentPart, ImagePart, Message, ReasoningConfig, ToolResultPart } from '../../core/request.ts';
import type { ModelFamily } from './family.ts';
import { familyOf, operationUrl } from './settings.ts';
import { toolNames, type ToolNames } from './tool-names.ts';
import {
  EVENT_STREAM_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  type WireContentBlock,
  type WireConverseRequest,
  type WireDocument,
  type WireDocumentFormat,
  type WireImage,
  type WireImageFormat,
  type WireMessage,
  type WireSystemBlock,
  type WireToolConfig,
  type WireToolResultContent,
} from './wire.ts';
import { parseToolArguments } from '../shared/tool-arguments.ts';
import { thinkingConfig } from '../anthropic/thinking.ts';

/** Signatures sluice minted for Gemini thought signatures (anthropic/decode-request.ts): not Bedrock's. */
const GEMINI_SIGNATURE_PREFIX = 'gemini:';
/**
 * max_tokens when thinking is on and the client gave none: Converse's default is the model's maximum,
 * which may be below a large budget; budget + headroom keeps budget < maxTokens (Anthropic's rule).
 */
const DEFAULT_MAX_TOKENS = 8192;
const THINKING_HEADROOM = 1024;
/** Nova 2 `maxReasoningEffort` takes low | medium | high. */
const NOVA_EFFORT: Record<string, string> = { low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' };

export function buildBedrockRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest {
  // A continuation (docs/continuation.md) is built from the canonical fields: its prefix is not in `raw`;
  // Converse continues a final assistant message (Anthropic models on Bedrock).
  const body = req.front === 'bedrock' && !req.continuation ? bodyFromRaw(req) : converseBody(req, model, endpoint);
  return {
    url: operationUrl(endpoint, model, stream ? 'converse-stream' : 'converse'),
    method: 'POST',
    headers: { ...endpoint.headers, 'content-type': JSON_CONTENT_TYPE, accept: stream ? EVENT_STREAM_CONTENT_TYPE : JSON_CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}

/** The Bedrock front's Converse body as the client sent it (modelId lives in the path). */
function bodyFromRaw(req: ChatRequest): Record<string, unknown> {
  const { modelId: _modelId, ...body } = req.raw;
  return body;
}

/** Canonical request -> Converse body. Also the `converse` input of CountTokens. */
export function converseBody(req: ChatRequest, model: string, endpoint: UpstreamEndpoint): WireConverseRequest {
  if (req.n !== undefined && req.n > 1) {
    throw new GatewayError('unsupported', 'n>1 is not supported for this model', { param: 'n' });
  }
  if (req.raw.logprobs === true) {
    throw new GatewayError('unsupported', 'logprobs is not supported for this model', { param: 'logprobs' });
  }
  const family = familyOf(endpoint, model);
  const names = toolNames(req);
  const { system, messages } = convertMessages(req.messages, names);
  const body: WireConverseRequest = { messages };
  if (system.length > 0) body.system = system;

  const toolConfig = toolConfigFor(req, messages, names);
  if (toolConfig) body.toolConfig = toolConfig;

  const extra: Record<string, unknown> = {};
  const inference: NonNullable<WireConverseRequest['inferenceConfig']> = {};
  let maxTokens = req.maxTokens ?? endpoint.defaultMaxTokens;
  const thinking = family === 'anthropic' ? anthropicThinking(req, messages) : undefined;
  if (thinking) {
    extra.thinking = thinking;
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens as number;
      if (maxTokens === undefined || budget >= maxTokens) maxTokens = Math.max(maxTokens ?? DEFAULT_MAX_TOKENS, budget + THINKING_HEADROOM);
    }
    // Thinking rejects temperature and top_k changes and top_p below 0.95 (anthropic-messages.md §2).
    if (req.topP !== undefined && req.topP >= 0.95) inference.topP = req.topP;
  } else {
    if (req.temperature !== undefined) inference.temperature = req.temperature;
    if (req.topP !== undefined) inference.topP = req.topP;
    if (req.topK !== undefined) topK(family, req.topK, extra);
    if (req.reasoning) otherReasoning(family, req.reasoning, extra);
  }
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  const stops = req.stop?.filter((s) => s !== '');
  if (stops && stops.length > 0) inference.stopSequences = stops;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  if (family === 'anthropic' && req.anthropicBeta) {
    const betas = req.anthropicBeta.split(',').map((b) => b.trim()).filter((b) => b !== '');
    if (betas.length > 0) extra.anthropic_beta = betas;
  }
  if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;

  // json_object has no Converse form; the prompt asking for JSON still applies.
  if (req.responseFormat?.type === 'json_schema' && req.responseFormat.schema) {
    body.outputConfig = {
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { schema: JSON.stringify(req.responseFormat.schema), name: req.responseFormat.name } },
      },
    };
  }
  return body;
}

function topK(family: ModelFamily, k: number, extra: Record<string, unknown>): void {
  // No topK in inferenceConfig: it is model-native (bedrock.md §3).
  if (family === 'anthropic') extra.top_k = k;
  else if (family === 'amazon') extra.inferenceConfig = { topK: k };
}

/** Reasoning for families other than Anthropic: OpenAI models take a flat reasoning_effort, Nova 2 a reasoningConfig. */
function otherReasoning(family: ModelFamily, r: ReasoningConfig, extra: Record<string, unknown>): void {
  const effort = r.effort ?? (r.budgetTokens !== undefined ? effortForBudget(r.budgetTokens) : r.adaptive ? 'medium' : undefined);
  if (effort === undefined) return;
  if (family === 'openai') {
    if (effort !== 'none' && effort !== 'minimal') extra.reasoning_effort = NOVA_EFFORT[effort] ?? effort;
  } else if (family === 'amazon' && Object.hasOwn(NOVA_EFFORT, effort)) {
    extra.reasoningConfig = { type: 'enabled', maxReasoningEffort: NOVA_EFFORT[effort] };
  }
}

function effortForBudget(budget: number): string | undefined {
  if (budget <= 0) return undefined;
  return budget <= 2048 ? 'low' : budget <= 8192 ? 'medium' : 'high';
}

/**
 * Anthropic thinking through additionalModelRequestFields. Not when a tool is forced (the two are
 * incompatible), nor when the last assistant turn of a tool loop has no signed reasoning to start
 * with (Anthropic's 400, bedrock.md §3 "Thinking replay").
 */
function anthropicThinking(req: ChatRequest, messages: WireMessage[]): Record<string, unknown> | undefined {
  const thinking = thinkingConfig(req);
  if (!thinking) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'assistant') continue;
    const usesTools = m.content.some((b) => 'toolUse' in b);
    if (usesTools && !('reasoningContent' in (m.content[0] ?? {}))) return undefined;
    break;
  }
  return thinking;
}

// ---------------------------------------------------------------------------------------------------
// Messages.

function convertMessages(input: Message[], names: ToolNames): { system: WireSystemBlock[]; messages: WireMessage[] } {
  const system: WireSystemBlock[] = [];
  const turns: WireMessage[] = [];
  // One mapping per request, so a call id and its result id always agree.
  const ids = new Map<string, string>();
  const toolId = (id: string): string => {
    let safe = ids.get(id);
    if (safe === undefined) ids.set(id, (safe = sanitizeToolId(id)));
    return safe;
  };
  const documents = new DocumentNames();
  const push = (role: 'user' | 'assistant', blocks: WireContentBlock[]): void => {
    // Empty content is a ValidationException; Converse wants alternating roles: merge neighbours.
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of input) {
    switch (m.role) {
      case 'system':
        // Every system/developer message, in order (translation.md §1).
        for (const p of m.content) {
          if (p.type === 'text' && p.text !== '') {
            system.push({ text: p.text });
            cachePointAfter(p, system);
          }
        }
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m.content, toolId, names));
        break;
      case 'user':
      case 'tool':
        push('user', userBlocks(m.content, toolId, documents));
        break;
    }
  }
  for (const t of turns) if (t.role === 'user') fixUserTurn(t);
  answerEveryToolUse(turns);
  return { system, messages: turns };
}

/** A part marked for prompt caching is followed by a cachePoint block (Bedrock's cache boundary). */
function cachePointAfter(p: ContentPart, out: Array<WireContentBlock | WireSystemBlock>): void {
  const cc = (p as { cacheControl?: { type: string; ttl?: string } }).cacheControl;
  if (cc?.type !== 'ephemeral') return;
  out.push(cc.ttl === '1h' ? { cachePoint: { type: 'default', ttl: '1h' } } : { cachePoint: { type: 'default' } });
}

function userBlocks(parts: ContentPart[], toolId: (id: string) => string, documents: DocumentNames): WireContentBlock[] {
  const blocks: WireContentBlock[] = [];
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        if (p.text === '') continue;
        blocks.push({ text: p.text });
        break;
      case 'image':
        blocks.push(imageBlock(p));
        break;
      case 'document':
        blocks.push(documentBlock(p, documents));
        break;
      case 'tool-result':
        blocks.push(toolResultBlock(p, toolId));
        break;
      default:
        continue; // reasoning and tool calls are assistant content
    }
    cachePointAfter(p, blocks);
  }
  return blocks;
}

function assistantBlocks(parts: ContentPart[], toolId: (id: string) => string, names: ToolNames): WireContentBlock[] {
  const blocks: WireContentBlock[] = [];
  for (const p of parts) {
    switch (p.type) {
      case 'reasoning':
        // Only signed reasoning can be replayed (bedrock.md §3); unsigned reasoning from other upstreams is dropped.
        if (p.redactedData !== undefined) blocks.push({ reasoningContent: { redactedContent: p.redactedData } });
        else if (p.signature && !p.signature.startsWith(GEMINI_SIGNATURE_PREFIX) && p.text !== '') {
          blocks.push({ reasoningContent: { reasoningText: { text: p.text, signature: p.signature } } });
        }
        break;
      case 'text':
        if (p.text !== '') blocks.push({ text: p.text });
        break;
      case 'tool-call':
        blocks.push({ toolUse: { toolUseId: toolId(p.id), name: names.toWire(p.name), input: parseToolArguments(p.arguments, p.name) } });
        break;
      default:
        break;
    }
  }
  return blocks;
}

const IMAGE_FORMATS: Record<string, WireImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Converse images are bytes or an S3 object; a web URL cannot be sent (the model cannot fetch it). */
function imageBlock(p: ImagePart): WireImage {
  let mediaType: string;
  let data: string;
  if (p.source.kind === 'base64') {
    mediaType = p.source.mediaType;
    data = p.source.data;
  } else if (p.source.url.startsWith('s3://')) {
    const ext = /\.(png|jpe?g|gif|webp)$/i.exec(p.source.url)?.[1]?.toLowerCase();
    const format = ext === undefined ? undefined : IMAGE_FORMATS[`image/${ext}`];
    if (format === undefined) throw new GatewayError('invalid_request', `cannot tell the image format of ${p.source.url} (png, jpeg, gif or webp)`);
    return { image: { format, source: { s3Location: { uri: p.source.url } } } };
  } else {
    const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(p.source.url);
    if (!dataUrl) {
      throw new GatewayError('unsupported', 'image URLs are not supported by Bedrock: send the image as base64 data (or an s3:// URI)');
    }
    mediaType = dataUrl[1];
    data = dataUrl[2];
  }
  const format = IMAGE_FORMATS[mediaType.toLowerCase()];
  if (format === undefined) throw new GatewayError('unsupported', `image type ${mediaType} is not supported by Bedrock (png, jpeg, gif, webp)`);
  return { image: { format, source: { bytes: data } } };
}

const DOCUMENT_FORMATS: Record<string, WireDocumentFormat> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

/**
 * Document names may hold letters, digits, single spaces, hyphens, parentheses and square brackets,
 * and must differ within a request (Converse DocumentBlock.name): `report.pdf` is sent as `report-pdf`.
 */
class DocumentNames {
  readonly #used = new Set<string>();
  next(filename: string | undefined): string {
    let base = (filename ?? '')
      .replace(/[^a-zA-Z0-9\s\-()[\]]/g, '-')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200);
    if (base === '') base = 'document';
    let name = base;
    for (let n = 2; this.#used.has(name); n++) name = `${base} (${n})`;
    this.#used.add(name);
    return name;
  }
}

function documentBlock(p: DocumentPart, names: DocumentNames): WireDocument {
  const format = DOCUMENT_FORMATS[p.mediaType.toLowerCase()];
  if (format === undefined) throw new GatewayError('unsupported', `document type ${p.mediaType} is not supported by Bedrock`);
  return { document: { format, name: names.next(p.filename), source: { bytes: p.data } } };
}

function toolResultBlock(p: ToolResultPart, toolId: (id: string) => string): WireContentBlock {
  const content: WireToolResultContent[] = [];
  for (const c of p.content) {
    if (c.type === 'text') {
      if (c.text !== '') content.push({ text: c.text });
    } else content.push(imageBlock(c));
  }
  // An empty text block is a ValidationException; an empty result still needs content.
  if (content.length === 0) content.push({ text: '(empty)' });
  const block: WireContentBlock = { toolResult: { toolUseId: toolId(p.toolCallId), content } };
  if (p.isError) block.toolResult.status = 'error';
  return block;
}

/**
 * Within a user turn, tool results come first (Anthropic models reject others before them), and a
 * document needs a text block in the same message (Converse's rule): the document's name is added
 * as that text when the client sent none.
 */
function fixUserTurn(turn: WireMessage): void {
  const results = turn.content.filter((b) => 'toolResult' in b);
  if (results.length > 0 && results.length < turn.content.length) {
    turn.content = [...results, ...turn.content.filter((b) => !('toolResult' in b))];
  }
  const docs = turn.content.filter((b): b is WireDocument => 'document' in b);
  if (docs.length > 0 && !turn.content.some((b) => 'text' in b)) {
    turn.content.push({ text: docs.map((d) => d.document.name).join(', ') });
  }
}

/** Every toolUse must be answered in the next user turn; a missing result is answered as an error (translation.md §4). */
function answerEveryToolUse(turns: WireMessage[]): void {
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (turn.role !== 'assistant') continue;
    const calls: string[] = [];
    for (const b of turn.content) if ('toolUse' in b) calls.push(b.toolUse.toolUseId);
    if (calls.length === 0) continue;
    let next = turns[i + 1];
    if (next?.role !== 'user') {
      next = { role: 'user', content: [] };
      turns.splice(i + 1, 0, next);
    }
    const answered = new Set<string>();
    for (const b of next.content) if ('toolResult' in b) answered.add(b.toolResult.toolUseId);
    const missing: WireContentBlock[] = calls
      .filter((id) => !answered.has(id))
      .map((id) => ({ toolResult: { toolUseId: id, content: [{ text: '(no result)' }], status: 'error' as const } }));
    if (missing.length > 0) {
      const at = next.content.findIndex((b) => !('toolResult' in b));
      next.content.splice(at < 0 ? next.content.length : at, 0, ...missing);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Tools.

/**
 * toolConfig from the declared tools. Converse has no toolChoice "none": the tools are left out
 * then. History with toolUse/toolResult blocks needs a toolConfig all the same (ValidationException
 * otherwise), so one is built from the tool names in history when none is sent — never dropping history.
 */
function toolConfigFor(req: ChatRequest, messages: WireMessage[], names: ToolNames): WireToolConfig | undefined {
  const declared = req.toolChoice?.type === 'none' ? [] : (req.tools ?? []);
  if (declared.length > 0) {
    const config: WireToolConfig = {
      tools: declared.map((t) => {
        const spec: { name: string; description?: string; inputSchema: { json: unknown } } = {
          name: names.toWire(t.name),
          inputSchema: { json: inputSchema(t.parameters) },
        };
        if (t.description !== undefined && t.description !== '') spec.description = t.description;
        return { toolSpec: spec };
      }),
    };
    // auto is the default and the only choice every family supports: sent only when it is not auto.
    if (req.toolChoice?.type === 'required') config.toolChoice = { any: {} };
    else if (req.toolChoice?.type === 'tool') config.toolChoice = { tool: { name: names.toWire(req.toolChoice.name) } };
    return config;
  }
  const inHistory = new Set<string>();
  let hasToolBlocks = false;
  for (const m of messages) {
    for (const b of m.content) {
      if ('toolUse' in b) inHistory.add(b.toolUse.name);
      if ('toolUse' in b || 'toolResult' in b) hasToolBlocks = true;
    }
  }
  if (!hasToolBlocks) return undefined;
  if (inHistory.size === 0) inHistory.add('tool');
  return {
    tools: [...inHistory].map((name) => ({
      toolSpec: { name, description: 'A tool used earlier in this conversation.', inputSchema: { json: { type: 'object', properties: {} } } },
    })),
  };
}

/** Converse requires an object schema. */
function inputSchema(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!parameters || Object.keys(parameters).length === 0) return { type: 'object', properties: {} };
  return parameters.type === undefined ? { type: 'object', ...parameters } : parameters;
}

