// OpenAI Responses wire shapes (docs/protocols/openai-responses.md). What comes IN from clients is
// validated with zod — loose objects, so unknown fields stay in `raw` and reach an openai-responses
// upstream untouched. Input items are validated one by one (decode-items.ts): an unknown item type
// is accepted (Codex sends new ones every release, Q-50), a known one must have its shape. What goes
// OUT (responses, stream events, upstream request bodies) is typed with plain interfaces.
// Upstream events are NOT validated with zod: decode-stream.ts reads the few fields it needs.

import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Inbound: the client's request body (§1)

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

const jsonObject = z.record(z.string(), z.unknown());

/** Function tools are flat (no nested `function` object, unlike Chat Completions). */
export const functionToolSchema = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: jsonObject.nullish(),
  strict: z.boolean().nullish(),
});

/** A freeform tool: the model answers with one raw string (Codex's apply_patch, §5.2). */
export const customToolSchema = z.looseObject({
  type: z.literal('custom'),
  name: z.string().min(1),
  description: z.string().nullish(),
  format: z.unknown().optional(),
});

/** Codex groups tools under a namespace; the model's calls name both (§5.2). */
export const namespaceToolSchema = z.looseObject({
  type: z.literal('namespace'),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })),
});

/** Every tool: its `type` decides how it is read; built-in (hosted) tools keep their own fields. */
const toolSchema = z.looseObject({ type: z.string().min(1) });

const namedChoice = z.looseObject({ type: z.enum(['function', 'custom']), name: z.string().min(1) });
const allowedToolsChoice = z.looseObject({
  type: z.literal('allowed_tools'),
  mode: z.enum(['auto', 'required']),
  tools: z.array(z.looseObject({ type: z.string(), name: z.string().nullish() })),
});
/** Hosted-tool and MCP choices: `{type:"web_search_preview"}`, `{type:"mcp", server_label}` … */
const otherChoice = z.looseObject({ type: z.string().min(1) });
const toolChoiceSchema = z.union([z.enum(['none', 'auto', 'required']), namedChoice, allowedToolsChoice, otherChoice]);

const textFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: jsonObject,
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

/** Optional fields accept null too: several client libraries send `null` for "not set". */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** A string, or a list of items; items are checked one by one (decode-items.ts). */
  input: z.union([z.string(), z.array(z.unknown())]).nullish(),
  instructions: z.string().nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  max_tool_calls: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_logprobs: z.number().int().min(0).nullish(),
  reasoning: z
    .looseObject({
      effort: z.enum(REASONING_EFFORTS).nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
      generate_summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  text: z.looseObject({ format: textFormatSchema.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_obfuscation: z.boolean().nullish() }).nullish(),
  previous_response_id: z.string().min(1).nullish(),
  conversation: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  store: z.boolean().nullish(),
  include: z.array(z.string()).nullish(),
  background: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  service_tier: z.string().nullish(),
});

export type WireRequest = z.infer<typeof responsesRequestSchema>;
export type WireTextFormat = z.infer<typeof textFormatSchema>;
export type WireToolChoice = z.infer<typeof toolChoiceSchema>;

// Input items (§1). Each known type has its schema; decode-items.ts picks by `type`.

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high', 'original']).nullish(),
});
const inputFile = z.looseObject({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
const inputAudio = z.looseObject({ type: z.literal('input_audio'), input_audio: z.looseObject({ data: z.string(), format: z.string() }) });
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
/** Some clients send reasoning text back inside a message; it is read as text. */
const reasoningText = z.looseObject({ type: z.literal('reasoning_text'), text: z.string() });

export const contentPartSchema = z.discriminatedUnion('type', [inputText, inputImage, inputFile, inputAudio, outputText, refusal, reasoningText]);
export type WireContentPart = z.infer<typeof contentPartSchema>;

export const messageItemSchema = z.looseObject({
  type: z.literal('message').nullish(),
  id: z.string().nullish(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPartSchema)]),
  /** Codex marks assistant messages `commentary` or `final_answer` (§5.2). */
  phase: z.string().nullish(),
  status: z.string().nullish(),
});

export const functionCallItemSchema = z.looseObject({
  type: z.literal('function_call'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  namespace: z.string().nullish(),
  /** JSON text; an object is accepted and re-serialised. */
  arguments: z.union([z.string(), jsonObject]),
  status: z.string().nullish(),
});

/** `output` is a string or a list of content parts (Codex's view_image returns an input_image). */
const outputValue = z.union([z.string(), z.array(contentPartSchema)]);

export const functionCallOutputItemSchema = z.looseObject({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: outputValue,
  status: z.string().nullish(),
});

export const customToolCallItemSchema = z.looseObject({
  type: z.literal('custom_tool_call'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.string(),
});

export const customToolCallOutputItemSchema = z.looseObject({
  type: z.literal('custom_tool_call_output'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: outputValue,
});

const summaryText = z.looseObject({ type: z.literal('summary_text'), text: z.string() });

export const reasoningItemSchema = z.looseObject({
  type: z.literal('reasoning'),
  id: z.string().nullish(),
  summary: z.array(summaryText).nullish(),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().nullish() })).nullish(),
  encrypted_content: z.string().nullish(),
});

export const itemReferenceSchema = z.looseObject({ type: z.literal('item_reference').nullish(), id: z.string().min(1) });

export type WireMessageItem = z.infer<typeof messageItemSchema>;
export type WireFunctionCallItem = z.infer<typeof functionCallItemSchema>;
export type WireFunctionCallOutputItem = z.infer<typeof functionCallOutputItemSchema>;
export type WireCustomToolCallItem = z.infer<typeof customToolCallItemSchema>;
export type WireCustomToolCallOutputItem = z.infer<typeof customToolCallOutputItemSchema>;
export type WireReasoningItem = z.infer<typeof reasoningItemSchema>;

// ---------------------------------------------------------------------------------------------
// Outbound: what sluice sends (responses and events to clients; request bodies to upstreams)

export interface OutUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
}

export interface OutMessageItem {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: OutputTextPart[];
  phase?: string;
}

export interface OutFunctionCallItem {
  type: 'function_call';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  arguments: string;
  namespace?: string;
}

export interface OutCustomToolCallItem {
  type: 'custom_tool_call';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  input: string;
}

export interface OutReasoningItem {
  type: 'reasoning';
  id: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
  summary: Array<{ type: 'summary_text'; text: string }>;
  encrypted_content?: string;
}

export type OutItem = OutMessageItem | OutFunctionCallItem | OutCustomToolCallItem | OutReasoningItem;

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** The Response object (§2), as sent in lifecycle events and non-streaming answers. */
export interface OutResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  model: string;
  output: OutItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: string;
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown>; verbosity: string };
  tool_choice: unknown;
  tools: unknown[];
  top_logprobs: number;
  top_p: number | null;
  truncation: string;
  usage: OutUsage | null;
  user: string | null;
  metadata: Record<string, string>;
  completed_at?: number | null;
  output_text?: string;
}

export interface WireErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// Upstream request (sluice as a client of /v1/responses)

export type UpstreamContent =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string }
  | { type: 'input_image'; image_url: string; detail: 'auto' | 'low' | 'high' }
  | { type: 'input_file'; file_data: string; filename?: string };

export type UpstreamItem =
  | { type: 'message'; role: 'user' | 'developer' | 'system'; content: UpstreamContent[] }
  | { type: 'message'; role: 'assistant'; content: Array<{ type: 'output_text'; text: string }>; id?: string }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; id?: string }
  | { type: 'function_call_output'; call_id: string; output: string | UpstreamContent[] }
  | { type: 'reasoning'; id: string; summary: Array<{ type: 'summary_text'; text: string }>; encrypted_content?: string };

export interface UpstreamTool {
  type: 'function';
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export interface UpstreamRequest {
  model: string;
  input: UpstreamItem[];
  stream: boolean;
  instructions?: string;
  tools?: UpstreamTool[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; name: string };
  parallel_tool_calls?: boolean;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning?: { effort?: string; summary?: 'auto' };
  text?: { format: Record<string, unknown> };
  include?: string[];
  /** sluice keeps no state at the upstream: every turn carries its history (§4). */
  store: false;
  user?: string;
  prompt_cache_key?: string;
}
