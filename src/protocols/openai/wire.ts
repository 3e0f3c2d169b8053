// OpenAI Chat Completions wire shapes (openai-chat.md). Requests coming IN from clients are validated
// with zod (loose objects: unknown fields stay in `raw` and pass through to OpenAI-compatible
// upstreams); what goes OUT is typed with plain interfaces. Upstream chunks are NOT validated with
// zod: decode-stream.ts checks the few fields it reads by hand (hot path).

import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Inbound: the client's request body (openai-chat.md §2–§4)

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

const name = z.string().nullish();

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageUrlPart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
const inputAudioPart = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
const filePart = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_data: z.string().nullish(), file_id: z.string().nullish(), filename: z.string().nullish() }),
});
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

const userPart = z.discriminatedUnion('type', [textPart, imageUrlPart, inputAudioPart, filePart]);
const assistantPart = z.discriminatedUnion('type', [textPart, refusalPart]);
const textOnlyContent = z.union([z.string(), z.array(textPart)]);

/** Arguments are JSON text; some clients send an object, which is accepted and re-serialised. */
const functionCall = z.looseObject({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]) });
const functionToolCall = z.looseObject({ id: z.string(), type: z.literal('function').optional(), function: functionCall });
const customToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('custom'),
  custom: z.looseObject({ name: z.string(), input: z.string() }),
});

const developerMessage = z.looseObject({ role: z.literal('developer'), content: textOnlyContent, name });
const systemMessage = z.looseObject({ role: z.literal('system'), content: textOnlyContent, name });
const userMessage = z.looseObject({ role: z.literal('user'), content: z.union([z.string(), z.array(userPart)]), name });
const assistantMessage = z.looseObject({
  role: z.literal('assistant'),
  content: z.union([z.string(), z.array(assistantPart)]).nullish(),
  tool_calls: z.array(z.union([functionToolCall, customToolCall])).nullish(),
  function_call: functionCall.nullish(),
  refusal: z.string().nullish(),
  name,
});
const toolMessage = z.looseObject({ role: z.literal('tool'), content: textOnlyContent, tool_call_id: z.string() });
const functionMessage = z.looseObject({ role: z.literal('function'), name: z.string(), content: z.string().nullable() });

const message = z.discriminatedUnion('role', [
  developerMessage,
  systemMessage,
  userMessage,
  assistantMessage,
  toolMessage,
  functionMessage,
]);

const functionTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});
const customTool = z.looseObject({
  type: z.literal('custom'),
  custom: z.looseObject({ name: z.string().min(1), description: z.string().nullish() }),
});

const namedFunction = z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) });
const namedCustom = z.looseObject({ type: z.literal('custom'), custom: z.looseObject({ name: z.string() }) });
const allowedTools = z.looseObject({
  type: z.literal('allowed_tools'),
  allowed_tools: z.looseObject({
    mode: z.enum(['auto', 'required']),
    tools: z.array(z.discriminatedUnion('type', [namedFunction, namedCustom])),
  }),
});
const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.discriminatedUnion('type', [namedFunction, namedCustom, allowedTools]),
]);

const legacyFunction = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});
const legacyFunctionCall = z.union([z.enum(['none', 'auto']), z.looseObject({ name: z.string() })]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const effort = z.enum(REASONING_EFFORTS);
const positiveInt = z.number().int().min(1);
const penalty = z.number().min(-2).max(2);

/** Optional fields accept null too: several client libraries send `null` for "not set". */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** Not OpenAI's, but common (vLLM, Ollama, OpenRouter); vLLM uses -1 for "disabled". */
  top_k: z.number().int().nullish(),
  n: positiveInt.nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: penalty.nullish(),
  frequency_penalty: penalty.nullish(),
  tools: z.array(z.discriminatedUnion('type', [functionTool, customTool])).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  functions: z.array(legacyFunction).nullish(),
  function_call: legacyFunctionCall.nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: effort.nullish(),
  /** OpenRouter's opt-in for reasoning text. */
  include_reasoning: z.boolean().nullish(),
  /** OpenRouter's unified reasoning object. */
  reasoning: z
    .looseObject({
      effort: effort.nullish(),
      max_tokens: z.number().int().min(0).nullish(),
      exclude: z.boolean().nullish(),
      enabled: z.boolean().nullish(),
    })
    .nullish(),
  user: z.string().nullish(),
});

export type WireRequest = z.infer<typeof chatRequestSchema>;
export type WireMessage = WireRequest['messages'][number];
export type WireUserPart = z.infer<typeof userPart>;
export type WireToolChoice = z.infer<typeof toolChoice>;

// ---------------------------------------------------------------------------------------------
// Outbound: what sluice sends (to clients as a front, to upstreams as a client)

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** Gemini thought signatures in Google's own OpenAI-compatible convention (translation.md §9). */
export interface WireExtraContent {
  google: { thought_signature: string };
}

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: WireExtraContent;
}

export interface WireCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      reasoning_content?: string;
      tool_calls?: WireToolCall[];
    };
    logprobs: null;
    finish_reason: string;
  }>;
  usage?: WireUsage;
}

export interface WireErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export type OutContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'file'; file: { file_data: string; filename?: string } };

export type OutMessage =
  | { role: 'system'; content: string; name?: string }
  | { role: 'user'; content: string | OutContentPart[]; name?: string }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[]; name?: string }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface OutTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

export type OutToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** The body sluice sends to an OpenAI-compatible upstream when it builds one from the canonical request. */
export interface OutRequest {
  model: string;
  messages: OutMessage[];
  stream: boolean;
  stream_options?: { include_usage: true };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  n?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  tools?: OutTool[];
  tool_choice?: OutToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: Record<string, unknown>;
  reasoning_effort?: string;
  user?: string;
  /** Prompt-cache routing key (OpenAI automatic prompt caching). */
  prompt_cache_key?: string;
  continue_final_message?: boolean;
  add_generation_prompt?: boolean;
}
