// Canonical ChatRequest -> Gemini `generateContent` request (gemini.md §1–§2, §6; translation.md §1–§4,
// §10). A Gemini-front request is sent as the client wrote it (fromRaw); any other front is built from
// the canonical fields: fields only OpenAI or Anthropic understand (user, metadata,
// parallel_tool_calls, …) never reach Google. Cache breakpoints become a cachedContents
// resource where the provider has `context_cache` (context-cache.ts), else they are dropped.

import { jsonOver } from '../../core/raw-json.ts';
import type { ChatRequest, ToolDef, ToolChoice } from '../../core/request.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import { isCarrier } from './carrier.ts';
import { encodeGeminiContents, type SystemText } from './encode-contents.ts';
import type {
  GeminiFunctionCallingConfig,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiRequest,
  GeminiThinkingConfig,
} from './wire.ts';
import { SKIP_THOUGHT_SIGNATURE } from './wire.ts';
import { geminiQuirks } from './quirks.ts';

/** Gemini accepts at most five stop sequences (gemini.md §2); extra ones are dropped (translation.md §10). */
const MAX_STOP_SEQUENCES = 5;

/** Suggested Gemini 2.5 thinking budgets per OpenAI-style effort (translation.md §10). */
const THINKING_BUDGET_BY_EFFORT: ReadonlyMap<string, number> = new Map([
  ['none', 0],
  ['minimal', 0],
  ['low', 1024],
  ['medium', 8192],
  ['high', 24576],
  // 24576 is the largest budget every 2.5 model accepts (Flash caps there).
  ['xhigh', 24576],
  ['max', 24576],
]);

/** Dynamic thinking: the model picks its own budget (gemini.md §2 `thinkingBudget: -1`). */
const DYNAMIC_THINKING = -1;

/** What the context cache's prepare step (context-cache.ts) hands to buildRequest: the body to send. */
export interface PreparedGeminiBody {
  readonly geminiBody: GeminiRequest;
}

function isPrepared(prepared: unknown): prepared is PreparedGeminiBody {
  return typeof prepared === 'object' && prepared !== null && 'geminiBody' in prepared;
}

export function buildGeminiRequest(
  req: ChatRequest,
  model: string,
  endpoint: UpstreamEndpoint,
  stream: boolean,
  prepared?: unknown,
): UpstreamHttpRequest {
  if (isPrepared(prepared)) return { url: geminiUrl(endpoint.baseUrl, model, stream), headers: geminiHeaders(endpoint), body: JSON.stringify(prepared.geminiBody) };
  const body = encodeGeminiBody(req, endpoint);
  return {
    url: geminiUrl(endpoint.baseUrl, model, stream),
    headers: geminiHeaders(endpoint),
    // Same dialect: the client's own bytes for what is unchanged (core/raw-json.ts). Only the first
    // body is spliced: a retry after dropping refused signatures (foreign-signatures.ts changes
    // `raw` in place) is serialised.
    body: req.front === 'gemini' && !req.continuation ? jsonOver(body, req.raw) : JSON.stringify(body),
  };
}

/**
 * `{base}/v1beta/models/{model}:streamGenerateContent?alt=sse` or `…:generateContent`. Always alt=sse
 * when streaming: without it Google streams one JSON array, not SSE (gemini.md §1).
 */
export function geminiUrl(baseUrl: string, model: string, stream: boolean): string {
  // Google's own docs write model names as resource names ("models/gemini-2.5-flash").
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return `${geminiBase(baseUrl)}/models/${encodeURIComponent(name)}:${method}`;
}

/** `{base}/v1beta`; a configured base that already names the API version does not get it twice. */
export function geminiBase(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return /\/v1(?:beta|alpha)?$/.test(base) ? base : `${base}/v1beta`;
}

/** Credentials are added by the provider's OutboundAuth (index.ts), never as `?key=` (gemini.md §1). */
export function geminiHeaders(endpoint: UpstreamEndpoint): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...endpoint.headers };
  return headers;
}

export function encodeGeminiBody(req: ChatRequest, endpoint: UpstreamEndpoint): GeminiRequest {
  return encodeGeminiBodyAndCut(req, endpoint, false).body;
}

/** The body, and with `breakpoints` where its cache prefixes may end (encode-contents.ts). */
export interface BodyAndBreakpoints {
  body: GeminiRequest;
  /** How many leading contents the last message-level cache breakpoint covers. */
  cacheCut?: number;
  /** Every system text with the shortest cached prefix that holds it. */
  systemTexts?: SystemText[];
}

export function encodeGeminiBodyAndCut(req: ChatRequest, endpoint: UpstreamEndpoint, breakpoints: boolean): BodyAndBreakpoints {
  // Same dialect: the client's own body, so safety settings, cached content, file parts and built-in
  // tools reach Google unchanged (decode-request.ts).
  // A continuation (docs/continuation.md) is built from the canonical fields: its prefix is not in `raw`.
  if (req.front === 'gemini' && !req.continuation) return { body: fromRaw(req.raw) };
  const { system, contents, cacheCut, systemTexts } = encodeGeminiContents(req.messages, {
    // translation.md §1: an Anthropic prefill has no Gemini equivalent unless the provider says so.
    // A continuation (docs/continuation.md) is a prefill too: a trailing model turn with supports_prefill.
    rejectPrefill: (req.front === 'anthropic' || req.continuation === true) && geminiQuirks(endpoint).supportsPrefill !== true,
    breakpoints,
  });
  const body: GeminiRequest = { contents };
  if (system !== undefined) body.systemInstruction = { parts: [{ text: system }] };
  if (req.tools !== undefined && req.tools.length > 0) {
    body.tools = [{ functionDeclarations: req.tools.map(functionDeclaration) }];
    if (req.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(req.toolChoice) };
  }
  const generationConfig = encodeGenerationConfig(req, endpoint);
  if (generationConfig !== undefined) body.generationConfig = generationConfig;
  const out: BodyAndBreakpoints = { body };
  if (cacheCut !== undefined) out.cacheCut = cacheCut;
  if (systemTexts !== undefined) out.systemTexts = systemTexts;
  return out;
}

function functionDeclaration(tool: ToolDef): GeminiFunctionDeclaration {
  const decl: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined && tool.description !== '') decl.description = tool.description;
  // parametersJsonSchema takes JSON Schema as is (gemini.md §2); `strict` is OpenAI-only and dropped.
  if (Object.keys(tool.parameters).length > 0) decl.parametersJsonSchema = tool.parameters;
  return decl;
}

/** translation.md §3. */
function functionCallingConfig(choice: ToolChoice): GeminiFunctionCallingConfig {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function encodeGenerationConfig(req: ChatRequest, endpoint: UpstreamEndpoint): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  const maxTokens = req.maxTokens ?? endpoint.defaultMaxTokens;
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (req.temperature !== undefined) config.temperature = clampTemperature(req.temperature, endpoint);
  if (req.topP !== undefined) config.topP = req.topP;
  if (req.topK !== undefined) config.topK = req.topK;
  if (req.stop !== undefined && req.stop.length > 0) config.stopSequences = req.stop.slice(0, MAX_STOP_SEQUENCES);
  if (req.seed !== undefined) config.seed = req.seed;
  if (req.presencePenalty !== undefined) config.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) config.frequencyPenalty = req.frequencyPenalty;
  if (req.n !== undefined && req.n > 1) config.candidateCount = req.n;
  const format = req.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema' && format.schema !== undefined) config.responseJsonSchema = format.schema;
  }
  const thinking = thinkingConfig(req);
  if (thinking !== undefined) config.thinkingConfig = thinking;
  return Object.keys(config).length > 0 ? config : undefined;
}

function clampTemperature(value: number, endpoint: UpstreamEndpoint): number {
  const range = geminiQuirks(endpoint).temperatureRange;
  return range === undefined ? value : Math.min(range[1], Math.max(range[0], value));
}

/** Effort or an explicit budget -> thinkingBudget (translation.md §10); includeThoughts streams summaries. */
function thinkingConfig(req: ChatRequest): GeminiThinkingConfig | undefined {
  const reasoning = req.reasoning;
  if (reasoning === undefined) return undefined;
  const config: GeminiThinkingConfig = {};
  if (reasoning.include === true) config.includeThoughts = true;
  const budget =
    reasoning.budgetTokens ??
    (reasoning.effort !== undefined ? THINKING_BUDGET_BY_EFFORT.get(reasoning.effort) : undefined) ??
    (reasoning.adaptive === true ? DYNAMIC_THINKING : undefined);
  if (budget !== undefined) config.thinkingBudget = budget;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** Whether a part of `contents` carries a signature sluice packed (a walk: serialising an agent's whole history to search it cost as much as sending it). */
function hasCarrier(contents: unknown[]): boolean {
  for (const c of contents) {
    const parts = (c as { parts?: unknown } | null)?.parts;
    if (!Array.isArray(parts)) continue;
    for (const p of parts) {
      if (typeof p !== 'object' || p === null) continue;
      const part = p as Record<string, unknown>;
      if (isCarrier(part.thoughtSignature) || isCarrier(part.thought_signature)) return true;
    }
  }
  return false;
}

/**
 * A Gemini client's body as sent, less what only sluice understands: `model` (the path names it) and
 * thought signatures sluice packed for other upstreams (gemini/carrier.ts), which Google would reject
 * as corrupted; the first call of a step then gets Google's documented dummy (gemini.md §6).
 */
function fromRaw(raw: Record<string, unknown>): GeminiRequest {
  const { model: _model, ...body } = raw;
  const contents = body.contents;
  if (Array.isArray(contents) && hasCarrier(contents)) {
    body.contents = contents.map((c: unknown) => {
      const parts = (c as { parts?: unknown } | null)?.parts;
      if (!Array.isArray(parts)) return c;
      return {
        ...(c as object),
        parts: parts.map((p: unknown) => {
          if (typeof p !== 'object' || p === null) return p;
          const part = p as Record<string, unknown>;
          const key = 'thoughtSignature' in part ? 'thoughtSignature' : 'thought_signature';
          return isCarrier(part[key]) ? { ...part, [key]: SKIP_THOUGHT_SIGNATURE } : p;
        }),
      };
    });
  }
  return body as unknown as GeminiRequest;
}
