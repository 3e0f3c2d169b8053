// A Converse / ConverseStream request (the Bedrock front) -> canonical ChatRequest. The model comes
// from the path. The parsed body stays in `raw`, so a Bedrock upstream receives it unchanged
// (guardrails, prompt variables, model-native fields); other upstreams see what the canonical request
// can say. Validation errors read like Bedrock's own ValidationException messages.

import type { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';
import type { ChatRequest, ContentPart, ImagePart, Message, ReasoningConfig, TextPart, ToolChoice, ToolDef } from '../../core/request.ts';
import {
  CachePointSchema,
  ConverseRequestSchema,
  DocumentSchema,
  ImageSchema,
  ReasoningSchema,
  ToolResultSchema,
  ToolUseSchema,
  type InboundConverse,
} from './front-wire.ts';

type Json = Record<string, unknown>;

/** A ValidationException in Bedrock's words (`1 validation error detected: Value at '…' failed to satisfy constraint: …`). */
export function validationError(path: string, message: string): GatewayError {
  const where = path === '' ? '' : `Value at '${path}' failed to satisfy constraint: `;
  return new GatewayError('invalid_request', `1 validation error detected: ${where}${message}`, { param: path === '' ? undefined : path });
}

/** zod's issue in Bedrock's words: list members are `N.member`, constraints as AWS states them. */
function check<T extends z.ZodType>(schema: T, value: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(value, {
    error: (issue) => {
      if (issue.input === undefined) return 'Member must not be null';
      if (issue.code === 'too_small') return `Member must have ${issue.origin === 'array' || issue.origin === 'string' ? 'length ' : ''}greater than or equal to ${String(issue.minimum)}`;
      if (issue.code === 'too_big') return `Member must have ${issue.origin === 'array' || issue.origin === 'string' ? 'length ' : ''}less than or equal to ${String(issue.maximum)}`;
      return undefined;
    },
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const steps = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `${p}.member` : String(p)));
  const full = [path, ...steps].filter((p) => p !== '').join('.');
  throw validationError(full, issue?.message ?? 'invalid value');
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const DOCUMENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html',
  txt: 'text/plain',
  md: 'text/markdown',
};

export interface ConverseDecodeOptions {
  model: string;
  stream: boolean;
}

export function decodeConverseRequest(body: unknown, o: ConverseDecodeOptions): ChatRequest {
  const wire = check(ConverseRequestSchema, body, '');
  if (wire.messages === undefined || wire.messages.length === 0) {
    throw validationError('messages', 'Member must have length greater than or equal to 1');
  }
  const raw = body as Json;
  const state: DecodeState = { nonPortable: undefined, toolNames: new Map() };
  const messages: Message[] = [];
  const system = decodeSystem(wire.system ?? [], state);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  wire.messages.forEach((m, i) => decodeMessage(m, `messages.${i}.member`, state, messages));

  const req: ChatRequest = {
    model: o.model,
    messages,
    stream: o.stream,
    // ConverseStream always ends with a metadata event carrying usage.
    includeUsage: true,
    front: 'bedrock',
    raw,
  };
  const inf = wire.inferenceConfig;
  if (inf?.maxTokens !== undefined) req.maxTokens = inf.maxTokens;
  if (inf?.temperature !== undefined) req.temperature = inf.temperature;
  if (inf?.topP !== undefined) req.topP = inf.topP;
  const stops = inf?.stopSequences?.filter((s) => s !== '');
  if (stops && stops.length > 0) req.stop = stops;

  const tools = decodeTools(wire.toolConfig);
  if (tools.length > 0) req.tools = tools;
  const choice = wire.toolConfig?.toolChoice;
  if (choice) req.toolChoice = decodeToolChoice(choice);

  decodeModelFields(wire.additionalModelRequestFields ?? {}, req);
  const schema = wire.outputConfig?.textFormat?.structure.jsonSchema;
  if (schema) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(schema.schema);
    } catch {
      throw validationError('outputConfig.textFormat.structure.jsonSchema.schema', 'Member must be a valid JSON schema');
    }
    req.responseFormat = { type: 'json_schema', name: schema.name ?? 'response', schema: parsed as Record<string, unknown> };
  }
  // Fields only Bedrock can honour: another upstream would silently drop a guardrail.
  if (raw.guardrailConfig !== undefined) state.nonPortable ??= 'guardrailConfig is only supported by a Bedrock upstream';
  if (raw.promptVariables !== undefined) state.nonPortable ??= 'promptVariables are only supported by a Bedrock upstream';
  if (state.nonPortable !== undefined) req.nonPortable = state.nonPortable;
  return req;
}

interface DecodeState {
  nonPortable: string | undefined;
  /** toolUseId -> tool name, for results (Gemini upstreams need the name). */
  toolNames: Map<string, string>;
}

/** A cachePoint marks the part before it for prompt caching (issue 12's cacheControl). */
function markCache(parts: ContentPart[], point: unknown, path: string): void {
  const cp = check(CachePointSchema, point, path);
  const last = parts[parts.length - 1] as (ContentPart & { cacheControl?: { type: 'ephemeral'; ttl?: string } }) | undefined;
  if (last) last.cacheControl = cp.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cp.ttl };
}

function decodeSystem(blocks: Json[], state: DecodeState): ContentPart[] {
  const parts: ContentPart[] = [];
  blocks.forEach((b, i) => {
    const path = `system.${i}.member`;
    if (typeof b.text === 'string') {
      if (b.text !== '') parts.push({ type: 'text', text: b.text });
    } else if (b.cachePoint !== undefined) markCache(parts, b.cachePoint, `${path}.cachePoint`);
    else if (b.guardContent !== undefined) state.nonPortable ??= 'guardContent is only supported by a Bedrock upstream';
    else throw validationError(path, 'Member must contain one of text, guardContent, cachePoint');
  });
  return parts;
}

function decodeMessage(m: NonNullable<InboundConverse['messages']>[number], path: string, state: DecodeState, out: Message[]): void {
  const parts: ContentPart[] = [];
  const results: ContentPart[] = [];
  m.content.forEach((b, i) => {
    const at = `${path}.content.${i}.member`;
    const block = b as Json;
    if (typeof block.text === 'string') {
      if (block.text !== '') parts.push({ type: 'text', text: block.text });
    } else if (block.image !== undefined) {
      parts.push(decodeImage(block.image, `${at}.image`, state));
    } else if (block.document !== undefined) {
      const d = check(DocumentSchema, block.document, `${at}.document`);
      const source = d.source as Json;
      const data = typeof source.bytes === 'string' ? source.bytes : Buffer.from(String(source.text), 'utf8').toString('base64');
      parts.push({ type: 'document', mediaType: DOCUMENT_TYPES[d.format], data, filename: d.name });
    } else if (block.toolUse !== undefined) {
      if (m.role !== 'assistant') throw validationError(`${at}.toolUse`, 'toolUse blocks are only allowed in assistant messages');
      const t = check(ToolUseSchema, block.toolUse, `${at}.toolUse`);
      state.toolNames.set(t.toolUseId, t.name);
      parts.push({ type: 'tool-call', id: t.toolUseId, name: t.name, arguments: JSON.stringify(t.input ?? {}) });
    } else if (block.toolResult !== undefined) {
      if (m.role !== 'user') throw validationError(`${at}.toolResult`, 'toolResult blocks are only allowed in user messages');
      const r = check(ToolResultSchema, block.toolResult, `${at}.toolResult`);
      const content: Array<TextPart | ImagePart> = [];
      r.content.forEach((c, k) => {
        const cp = `${at}.toolResult.content.${k}.member`;
        if (typeof c.text === 'string') content.push({ type: 'text', text: c.text });
        else if (c.json !== undefined) content.push({ type: 'text', text: JSON.stringify(c.json) });
        else if (c.image !== undefined) content.push(decodeImage(c.image, `${cp}.image`, state));
        else state.nonPortable ??= `tool result content ${Object.keys(c)[0] ?? '(empty)'} is only supported by a Bedrock upstream`;
      });
      const part: ContentPart = { type: 'tool-result', toolCallId: r.toolUseId, content };
      const name = state.toolNames.get(r.toolUseId);
      if (name !== undefined) part.name = name;
      if (r.status === 'error') part.isError = true;
      results.push(part);
    } else if (block.reasoningContent !== undefined) {
      const r = check(ReasoningSchema, block.reasoningContent, `${at}.reasoningContent`) as Json;
      if (typeof r.redactedContent === 'string') parts.push({ type: 'reasoning', text: '', redactedData: r.redactedContent });
      else {
        const rt = r.reasoningText as { text: string; signature?: string };
        parts.push(rt.signature === undefined ? { type: 'reasoning', text: rt.text } : { type: 'reasoning', text: rt.text, signature: rt.signature });
      }
    } else if (block.cachePoint !== undefined) {
      markCache(parts.length > 0 ? parts : results, block.cachePoint, `${at}.cachePoint`);
    } else if (block.guardContent !== undefined || block.video !== undefined || block.audio !== undefined || block.searchResult !== undefined) {
      // Content other dialects cannot carry: kept in raw for a Bedrock upstream only.
      state.nonPortable ??= `${Object.keys(block)[0]} content is only supported by a Bedrock upstream`;
    } else {
      throw validationError(at, 'Member must contain one of text, image, document, video, toolUse, toolResult, guardContent, cachePoint, reasoningContent, citationsContent, searchResult');
    }
  });
  // Tool results travel in a tool message of their own, before the user's other content.
  if (results.length > 0) out.push({ role: 'tool', content: results });
  if (parts.length > 0) out.push({ role: m.role, content: parts });
}

function decodeImage(value: unknown, path: string, state: DecodeState): ImagePart {
  const img = check(ImageSchema, value, path);
  const source = img.source as Json;
  if (typeof source.bytes === 'string') return { type: 'image', source: { kind: 'base64', mediaType: IMAGE_TYPES[img.format], data: source.bytes } };
  state.nonPortable ??= 'images in S3 are only supported by a Bedrock upstream';
  return { type: 'image', source: { kind: 'url', url: String((source.s3Location as Json).uri) } };
}

function decodeTools(config: InboundConverse['toolConfig']): ToolDef[] {
  const out: ToolDef[] = [];
  for (const t of config?.tools ?? []) {
    if (!('toolSpec' in t) || t.toolSpec === undefined) continue;
    const spec = t.toolSpec as { name: string; description?: string; inputSchema: { json: unknown }; strict?: boolean };
    const params = spec.inputSchema.json;
    const def: ToolDef = {
      name: spec.name,
      parameters: typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {},
    };
    if (spec.description !== undefined) def.description = spec.description;
    if (spec.strict !== undefined) def.strict = spec.strict;
    out.push(def);
  }
  return out;
}

function decodeToolChoice(choice: Json): ToolChoice {
  if (choice.any !== undefined) return { type: 'required' };
  if (choice.tool !== undefined) return { type: 'tool', name: String((choice.tool as Json).name) };
  return { type: 'auto' };
}

/** additionalModelRequestFields the canonical request can say: Anthropic thinking/top_k/betas, OpenAI and Nova reasoning. */
function decodeModelFields(fields: Json, req: ChatRequest): void {
  if (typeof fields.top_k === 'number') req.topK = fields.top_k;
  const nova = fields.inferenceConfig as Json | undefined;
  if (typeof nova?.topK === 'number') req.topK = nova.topK;
  let reasoning: ReasoningConfig | undefined;
  const thinking = fields.thinking as Json | undefined;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number') reasoning = { budgetTokens: thinking.budget_tokens };
  else if (thinking?.type === 'adaptive') reasoning = { adaptive: true };
  if (typeof fields.reasoning_effort === 'string') reasoning = { ...reasoning, effort: fields.reasoning_effort };
  const rc = fields.reasoningConfig as Json | undefined;
  if (rc?.type === 'enabled') reasoning = { ...reasoning, effort: typeof rc.maxReasoningEffort === 'string' ? rc.maxReasoningEffort : 'medium' };
  if (reasoning) req.reasoning = { ...reasoning, include: true };
  const betas = fields.anthropic_beta;
  if (Array.isArray(betas) && betas.every((b) => typeof b === 'string') && betas.length > 0) req.anthropicBeta = betas.join(',');
}
