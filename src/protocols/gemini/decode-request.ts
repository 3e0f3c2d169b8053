// Gemini `generateContent` request body -> canonical ChatRequest (the front side; gemini.md §2, §8;
// docs/clients/gemini-cli.md). The parsed body stays in `raw`: a Gemini upstream starts from it, so
// safety settings, cached content, file references and built-in tools reach Google unchanged. Other
// upstreams see what the canonical request can say; content only Google can serve (fileData,
// built-in tools, cachedContent, code execution parts) makes them refuse with a 400 (nonPortable).
//
// Function calls usually have no id in Gemini histories. The front gives every call an id that
// depends only on its place in the conversation (so the same history always decodes the same way
// and upstream prompt caches keep hitting), and pairs each functionResponse with its call by id,
// else by name in call order (translation.md §4).

import { createHash } from 'node:crypto';
import { GatewayError } from '../../core/errors.ts';
import type {
  ChatRequest,
  ContentPart,
  Message,
  ReasoningConfig,
  ResponseFormat,
  TextPart,
  ImagePart,
  ToolChoice,
  ToolDef,
  ToolResultPart,
} from '../../core/request.ts';
import { readSignature } from './carrier.ts';
import {
  CONTENT_FIELDS,
  FUNCTION_CALLING_CONFIG_FIELDS,
  FUNCTION_DECLARATION_FIELDS,
  GENERATION_CONFIG_FIELDS,
  PART_FIELDS,
  REQUEST_FIELDS,
  THINKING_CONFIG_FIELDS,
  TOOL_CONFIG_FIELDS,
  TOOL_FIELDS,
  type GeminiFrontState,
} from './front-wire.ts';
import { toJsonSchema } from './schema.ts';

export interface GeminiRequestInfo {
  /** The `{model}` path parameter, with or without `models/`. */
  model: string;
  stream: boolean;
  /** The `alt` query parameter of streamGenerateContent. */
  alt?: string | null;
}

type Obj = Record<string, unknown>;

/** Log sink for facts the client should know but that do not fail the request (safety settings). */
export type DecodeLog = (fields: Record<string, unknown>, message: string) => void;

export function decodeGeminiRequest(body: unknown, info: GeminiRequestInfo, log?: DecodeLog): ChatRequest {
  if (info.stream) checkAlt(info.alt);
  const top = fields(body, REQUEST_FIELDS, '', 'GenerateContentRequest');
  const model = modelName(info.model);
  if (model === '') throw invalid('model', 'a model name is required in the path: models/{model}:generateContent (or :streamGenerateContent, :countTokens)');

  const messages: Message[] = [];
  const system = top.systemInstruction;
  if (system !== undefined) messages.push(...systemMessages(system));

  const contents = top.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    throw invalid('contents', contents === undefined ? 'contents is required' : 'contents must be a non-empty array');
  }
  const calls = new CallBook();
  contents.forEach((c, i) => decodeContent(c, i, calls, messages));

  const frontState: GeminiFrontState = { framing: info.stream && info.alt !== 'sse' ? 'json-array' : 'sse' };
  const req: ChatRequest = {
    model,
    messages,
    stream: info.stream,
    // Gemini always reports usage (usageMetadata on the last chunk).
    includeUsage: true,
    front: 'gemini',
    raw: body as Obj,
    frontState,
  };

  const nonPortable: string[] = [];
  const tools = decodeTools(top.tools, nonPortable);
  const choice = decodeToolConfig(top.toolConfig, tools);
  if (choice.tools.length > 0) req.tools = choice.tools;
  if (choice.choice !== undefined) req.toolChoice = choice.choice;
  if (top.generationConfig !== undefined) decodeGenerationConfig(top.generationConfig, req);

  if (top.cachedContent !== undefined) {
    if (typeof top.cachedContent !== 'string') throw typeError('cachedContent', 'TYPE_STRING', top.cachedContent);
    nonPortable.push('cachedContent refers to content cached at Google and is only supported by Gemini upstreams');
  }
  if (top.safetySettings !== undefined) {
    if (!Array.isArray(top.safetySettings)) throw typeError('safety_settings', 'TYPE_MESSAGE', top.safetySettings);
    // Only Google applies them; every other upstream has its own (or no) moderation.
    log?.({ safety_settings: top.safetySettings.length }, 'gemini safetySettings are applied only by Gemini upstreams; others ignore them');
  }
  const contentProblem = nonPortableContent(contents);
  if (contentProblem !== undefined) nonPortable.push(contentProblem);
  if (nonPortable.length > 0) req.nonPortable = nonPortable[0];
  return req;
}

// ---------------------------------------------------------------------------------------------------
// Field checks in Google's wording.

/**
 * `alt` picks the response format. Google's documented values are json (the default: one array,
 * element by element), sse, proto and media; sluice writes the first two. Anything else is refused
 * rather than answered in a format the client did not ask for (docs/protocols/gemini.md §8.1).
 */
function checkAlt(alt: string | null | undefined): void {
  if (alt === undefined || alt === null || alt === '' || alt === 'sse' || alt === 'json') return;
  throw invalid('alt', `Invalid value at 'alt' (${JSON.stringify(alt)}): this gateway streams with alt=sse or alt=json (the default, a JSON array); proto and media are not served`);
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

function typeError(path: string, type: string, value: unknown): GatewayError {
  return invalid(path, `Invalid value at '${path}' (${type}), ${JSON.stringify(value) ?? 'undefined'}`);
}

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camel(key: string): string {
  return key.includes('_') ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

/**
 * An object with camelCase keys, every key known; `path` is the proto path for messages
 * ("generation_config", "contents[0].parts[1]").
 */
function fields(value: unknown, known: ReadonlySet<string>, path: string, message: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path || 'body', `Invalid JSON payload received. Expected an object for ${path === '' ? message : `'${path}'`}.`);
  }
  const out: Obj = {};
  for (const [key, v] of Object.entries(value)) {
    const name = camel(key);
    if (!known.has(name)) {
      const at = path === '' ? '' : ` at '${path}'`;
      throw invalid(path === '' ? key : `${path}.${key}`, `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${at}: Cannot find field.`);
    }
    out[name] = v;
  }
  return out;
}

function optionalNumber(o: Obj, key: string, path: string, integer = false): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw typeError(`${path}.${snake(key)}`, integer ? 'TYPE_INT32' : 'TYPE_FLOAT', v);
  }
  return v;
}

function modelName(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

// ---------------------------------------------------------------------------------------------------
// System instruction and contents.

function systemMessages(value: unknown): Message[] {
  // A bare string is accepted by Google's SDKs and REST alike.
  if (typeof value === 'string') return value === '' ? [] : [{ role: 'system', content: [{ type: 'text', text: value }] }];
  const content = fields(value, CONTENT_FIELDS, 'system_instruction', 'systemInstruction');
  const parts = content.parts;
  if (!Array.isArray(parts)) throw invalid('system_instruction.parts', "Invalid value at 'system_instruction.parts': parts must be an array");
  const texts: TextPart[] = [];
  parts.forEach((p, j) => {
    const part = fields(p, PART_FIELDS, `system_instruction.parts[${j}]`, 'Part');
    if (part.text === undefined) return;
    if (typeof part.text !== 'string') throw typeError(`system_instruction.parts[${j}].text`, 'TYPE_STRING', part.text);
    if (part.text !== '') texts.push({ type: 'text', text: part.text });
  });
  return texts.length > 0 ? [{ role: 'system', content: texts }] : [];
}

/** Ids of the calls in the conversation, to pair results with them. */
class CallBook {
  /** Calls of the latest model turn not yet answered, in order. */
  #open: Array<{ id: string; name: string }> = [];

  /** A model turn starts: calls of earlier turns can no longer be answered by name. */
  turn(): void {
    this.#open = [];
  }

  call(id: string, name: string): void {
    this.#open.push({ id, name });
  }

  /** The call a response answers: its own id if it names an open call or none is open by name, else the first open call of that name. */
  answer(id: string | undefined, name: string): string | undefined {
    if (id !== undefined) {
      const k = this.#open.findIndex((c) => c.id === id);
      if (k >= 0) this.#open.splice(k, 1);
      return id;
    }
    const k = this.#open.findIndex((c) => c.name === name);
    if (k < 0) return undefined;
    return this.#open.splice(k, 1)[0]!.id;
  }
}

/** Deterministic: the same place in the same conversation always gets the same id. */
function callId(content: number, part: number, name: string): string {
  const digest = createHash('sha256').update(`${content}:${part}:${name}`).digest('base64url').slice(0, 20).replace(/-/g, '_');
  return `call_${digest}`;
}

function decodeContent(value: unknown, i: number, calls: CallBook, out: Message[]): void {
  const path = `contents[${i}]`;
  const content = fields(value, CONTENT_FIELDS, path, 'Content');
  const role = content.role ?? 'user';
  if (role !== 'user' && role !== 'model' && role !== 'function') {
    throw invalid(`${path}.role`, `Please use a valid role: user, model. (got ${JSON.stringify(role)} at '${path}.role')`);
  }
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length === 0) {
    throw invalid(`${path}.parts`, `* GenerateContentRequest.${path}.parts: contents.parts must not be empty.`);
  }
  if (role === 'model') {
    calls.turn();
    out.push({ role: 'assistant', content: modelParts(parts, path, i, calls) });
    return;
  }
  const results: ToolResultPart[] = [];
  const rest: ContentPart[] = [];
  parts.forEach((p, j) => {
    const at = `${path}.parts[${j}]`;
    const part = fields(p, PART_FIELDS, at, 'Part');
    if (part.functionResponse !== undefined) {
      results.push(functionResponse(part.functionResponse, `${at}.function_response`, i, j, calls));
      return;
    }
    if (part.functionCall !== undefined) throw invalid(`${at}.function_call`, `${at}: function calls are only allowed in model contents`);
    const c = userPart(part, at);
    if (c !== undefined) rest.push(c);
  });
  if (results.length > 0) out.push({ role: 'tool', content: results });
  if (rest.length > 0 || results.length === 0) out.push({ role: 'user', content: rest });
}

function textOf(part: Obj, at: string): string | undefined {
  if (part.text === undefined) return undefined;
  if (typeof part.text !== 'string') throw typeError(`${at}.text`, 'TYPE_STRING', part.text);
  return part.text;
}

function userPart(part: Obj, at: string): ContentPart | undefined {
  const text = textOf(part, at);
  if (text !== undefined) return text === '' ? undefined : { type: 'text', text };
  if (part.inlineData !== undefined) return inlineData(part.inlineData, `${at}.inline_data`);
  // fileData, executableCode, codeExecutionResult: only Google can resolve them (nonPortableContent).
  return undefined;
}

function inlineData(value: unknown, at: string): ContentPart {
  const d = fields(value, new Set(['mimeType', 'data', 'displayName']), at, 'Blob');
  if (typeof d.mimeType !== 'string' || d.mimeType === '') throw invalid(`${at}.mime_type`, `${at}.mime_type is required`);
  if (typeof d.data !== 'string') throw typeError(`${at}.data`, 'TYPE_BYTES', d.data);
  const mediaType = d.mimeType.toLowerCase();
  if (mediaType.startsWith('image/')) return { type: 'image', source: { kind: 'base64', mediaType, data: d.data } } satisfies ImagePart;
  return { type: 'document', mediaType, data: d.data };
}

function modelParts(parts: unknown[], path: string, i: number, calls: CallBook): ContentPart[] {
  const out: ContentPart[] = [];
  parts.forEach((p, j) => {
    const at = `${path}.parts[${j}]`;
    const part = fields(p, PART_FIELDS, at, 'Part');
    if (part.functionCall !== undefined) {
      const fc = fields(part.functionCall, new Set(['id', 'name', 'args', 'partialArgs', 'willContinue']), `${at}.function_call`, 'FunctionCall');
      if (typeof fc.name !== 'string' || fc.name === '') throw invalid(`${at}.function_call.name`, `${at}.function_call.name is required`);
      const args = fc.args ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw typeError(`${at}.function_call.args`, 'TYPE_MESSAGE', args);
      const id = typeof fc.id === 'string' && fc.id !== '' ? fc.id : callId(i, j, fc.name);
      calls.call(id, fc.name);
      const meaning = readSignature(part.thoughtSignature);
      // Reasoning sluice packed into the signature goes back before the call it preceded (carrier.ts).
      if (meaning.kind === 'reasoning') out.push(...meaning.parts);
      out.push({
        type: 'tool-call',
        id,
        name: fc.name,
        arguments: JSON.stringify(args),
        ...(meaning.kind === 'opaque' ? { signature: meaning.signature } : {}),
      });
      return;
    }
    if (part.functionResponse !== undefined) throw invalid(`${at}.function_response`, `${at}: function responses belong in user contents`);
    const text = textOf(part, at);
    if (text !== undefined) {
      if (part.thought === true) {
        const meaning = readSignature(part.thoughtSignature);
        out.push({ type: 'reasoning', text, ...(meaning.kind === 'opaque' ? { signature: meaning.signature } : {}) });
      } else if (text !== '') out.push({ type: 'text', text });
      return;
    }
    if (part.inlineData !== undefined) out.push(inlineData(part.inlineData, `${at}.inline_data`));
  });
  return out;
}

function functionResponse(value: unknown, at: string, i: number, j: number, calls: CallBook): ToolResultPart {
  const fr = fields(value, new Set(['id', 'name', 'response', 'parts', 'willContinue', 'scheduling']), at, 'FunctionResponse');
  if (typeof fr.name !== 'string' || fr.name === '') throw invalid(`${at}.name`, `${at}.name is required`);
  const response = fr.response ?? {};
  if (typeof response !== 'object' || response === null || Array.isArray(response)) throw typeError(`${at}.response`, 'TYPE_MESSAGE', response);
  const given = typeof fr.id === 'string' && fr.id !== '' ? fr.id : undefined;
  const id = calls.answer(given, fr.name) ?? callId(i, j, fr.name);
  const r = response as Obj;
  // Gemini CLI and Google's docs wrap results as {output: …} or {error: …} (gemini.md §2).
  const keys = Object.keys(r);
  const isError = keys.length === 1 && keys[0] === 'error';
  const inner = keys.length === 1 && (keys[0] === 'output' || isError) ? r[keys[0]!] : r;
  const text = typeof inner === 'string' ? inner : JSON.stringify(inner);
  const content: Array<TextPart | ImagePart> = text === '' || text === '{}' ? [] : [{ type: 'text', text }];
  const part: ToolResultPart = { type: 'tool-result', toolCallId: id, name: fr.name, content };
  if (isError) part.isError = true;
  return part;
}

/** The first content only Google can resolve, as a reason for other upstreams to refuse. */
function nonPortableContent(contents: unknown[]): string | undefined {
  for (const c of contents) {
    const parts = (c as Obj).parts;
    if (!Array.isArray(parts)) continue;
    for (const p of parts) {
      if (typeof p !== 'object' || p === null) continue;
      for (const key of Object.keys(p)) {
        const name = camel(key);
        if (name === 'fileData') return 'fileData parts (Files API or Cloud Storage URIs) are only supported by Gemini upstreams';
        if (name === 'executableCode' || name === 'codeExecutionResult') return `${name} parts are only supported by Gemini upstreams`;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Tools and tool config.

function decodeTools(value: unknown, nonPortable: string[]): ToolDef[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw typeError('tools', 'TYPE_MESSAGE', value);
  const out: ToolDef[] = [];
  value.forEach((t, i) => {
    const tool = fields(t, TOOL_FIELDS, `tools[${i}]`, 'Tool');
    for (const key of Object.keys(tool)) {
      if (key !== 'functionDeclarations') nonPortable.push(`built-in tool ${key} is only supported by Gemini upstreams`);
    }
    const decls = tool.functionDeclarations;
    if (decls === undefined) return;
    if (!Array.isArray(decls)) throw typeError(`tools[${i}].function_declarations`, 'TYPE_MESSAGE', decls);
    decls.forEach((d, k) => {
      const at = `tools[${i}].function_declarations[${k}]`;
      const decl = fields(d, FUNCTION_DECLARATION_FIELDS, at, 'FunctionDeclaration');
      if (typeof decl.name !== 'string' || decl.name === '') throw invalid(`${at}.name`, `${at}.name is required`);
      const schema = decl.parametersJsonSchema ?? decl.parameters;
      const def: ToolDef = { name: decl.name, parameters: schema === undefined ? {} : toJsonSchema(schema) };
      if (typeof decl.description === 'string' && decl.description !== '') def.description = decl.description;
      out.push(def);
    });
  });
  return out;
}

function decodeToolConfig(value: unknown, tools: ToolDef[]): { tools: ToolDef[]; choice?: ToolChoice } {
  if (value === undefined) return { tools };
  const config = fields(value, TOOL_CONFIG_FIELDS, 'tool_config', 'ToolConfig');
  if (config.functionCallingConfig === undefined) return { tools };
  const fcc = fields(config.functionCallingConfig, FUNCTION_CALLING_CONFIG_FIELDS, 'tool_config.function_calling_config', 'FunctionCallingConfig');
  const mode = fcc.mode ?? 'AUTO';
  const allowed = fcc.allowedFunctionNames;
  if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((n) => typeof n !== 'string'))) {
    throw typeError('tool_config.function_calling_config.allowed_function_names', 'TYPE_STRING', allowed);
  }
  // translation.md §3: an allowed subset filters the tools; one name with ANY forces that tool.
  const subset = Array.isArray(allowed) && allowed.length > 0 ? tools.filter((t) => (allowed as string[]).includes(t.name)) : tools;
  switch (mode) {
    case 'MODE_UNSPECIFIED':
    case 'AUTO':
    case 'VALIDATED':
      return { tools: subset, choice: { type: 'auto' } };
    case 'NONE':
      return { tools, choice: { type: 'none' } };
    case 'ANY':
      if (subset.length === 1) return { tools: subset, choice: { type: 'tool', name: subset[0]!.name } };
      return { tools: subset, choice: { type: 'required' } };
    default:
      throw invalid('tool_config.function_calling_config.mode', `Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), ${JSON.stringify(mode)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// generationConfig.

const THINKING_LEVELS: Readonly<Record<string, string>> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' };

function decodeGenerationConfig(value: unknown, req: ChatRequest): void {
  const path = 'generation_config';
  const g = fields(value, GENERATION_CONFIG_FIELDS, path, 'GenerationConfig');
  const temperature = optionalNumber(g, 'temperature', path);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(g, 'topP', path);
  if (topP !== undefined) req.topP = topP;
  const topK = optionalNumber(g, 'topK', path, true);
  if (topK !== undefined) req.topK = topK;
  const max = optionalNumber(g, 'maxOutputTokens', path, true);
  if (max !== undefined) req.maxTokens = max;
  const seed = optionalNumber(g, 'seed', path, true);
  if (seed !== undefined) req.seed = seed;
  const presence = optionalNumber(g, 'presencePenalty', path);
  if (presence !== undefined) req.presencePenalty = presence;
  const frequency = optionalNumber(g, 'frequencyPenalty', path);
  if (frequency !== undefined) req.frequencyPenalty = frequency;
  const candidates = optionalNumber(g, 'candidateCount', path, true);
  if (candidates !== undefined && candidates > 1) req.n = candidates;
  if (g.stopSequences !== undefined) {
    if (!Array.isArray(g.stopSequences) || g.stopSequences.some((s) => typeof s !== 'string')) {
      throw typeError(`${path}.stop_sequences`, 'TYPE_STRING', g.stopSequences);
    }
    if (g.stopSequences.length > 0) req.stop = g.stopSequences as string[];
  }
  const format = responseFormat(g, path);
  if (format !== undefined) req.responseFormat = format;
  if (g.thinkingConfig !== undefined) {
    const reasoning = thinking(g.thinkingConfig, `${path}.thinking_config`);
    if (reasoning !== undefined) req.reasoning = reasoning;
  }
}

function responseFormat(g: Obj, path: string): ResponseFormat | undefined {
  const mime = g.responseMimeType;
  if (mime !== undefined && typeof mime !== 'string') throw typeError(`${path}.response_mime_type`, 'TYPE_STRING', mime);
  const schema = g.responseJsonSchema ?? g.responseSchema;
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw typeError(`${path}.${g.responseJsonSchema !== undefined ? 'response_json_schema' : 'response_schema'}`, 'TYPE_MESSAGE', schema);
  }
  if (mime !== 'application/json' && schema === undefined) return undefined;
  // Gemini CLI writes OpenAPI type names even in responseJsonSchema (G-5): lowered for everyone.
  if (schema !== undefined) return { type: 'json_schema', name: 'response', schema: toJsonSchema(schema) };
  return { type: 'json_object' };
}

function thinking(value: unknown, path: string): ReasoningConfig | undefined {
  const t = fields(value, THINKING_CONFIG_FIELDS, path, 'ThinkingConfig');
  const reasoning: ReasoningConfig = {};
  if (t.includeThoughts !== undefined) {
    if (typeof t.includeThoughts !== 'boolean') throw typeError(`${path}.include_thoughts`, 'TYPE_BOOL', t.includeThoughts);
    reasoning.include = t.includeThoughts;
  }
  const budget = optionalNumber(t, 'thinkingBudget', path, true);
  // 0 = thinking off, -1 = the model decides (gemini.md §2).
  if (budget === 0) reasoning.effort = 'none';
  else if (budget !== undefined && budget < 0) reasoning.adaptive = true;
  else if (budget !== undefined) reasoning.budgetTokens = budget;
  if (t.thinkingLevel !== undefined) {
    const level = typeof t.thinkingLevel === 'string' ? THINKING_LEVELS[t.thinkingLevel.toUpperCase()] : undefined;
    if (level === undefined) throw invalid(`${path}.thinking_level`, `Invalid value at '${path}.thinking_level', ${JSON.stringify(t.thinkingLevel)}`);
    reasoning.effort = level;
  }
  return Object.keys(reasoning).length > 0 ? reasoning : undefined;
}
