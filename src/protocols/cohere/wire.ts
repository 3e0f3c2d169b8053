// Cohere v2 chat wire shapes (docs/protocols/cohere.md §2–§5). Inbound client requests and complete
// upstream responses are validated with zod; upstream stream events are checked by hand in
// decode-stream.ts (zod per event is too slow on the hot path); what sluice sends is typed with plain
// interfaces.

import { z } from 'zod';

/** The dialect's name; its front and upstream share it (a request's raw body passes only to its own dialect). */
export const COHERE = 'cohere';

// ---------------------------------------------------------------------------------------------------
// Inbound: a client's request body (front side). Unknown fields pass (looseObject) and stay in `raw`
// for a Cohere upstream.

export const TextPartSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const ThinkingPartSchema = z.looseObject({ type: z.literal('thinking'), thinking: z.string() });
export const ImagePartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
export const DocumentObjectSchema = z.looseObject({ data: z.record(z.string(), z.unknown()), id: z.string().nullish() });
export const DocumentPartSchema = z.looseObject({ type: z.literal('document'), document: DocumentObjectSchema });

/** Parts are checked for a string `type` here and by their own schema in decode-request.ts. */
const AnyPartSchema = z.looseObject({ type: z.string() });
const contentOf = z.union([z.string(), z.array(AnyPartSchema)]);

export const ToolCallSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string().nullish() }),
});

export const MessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: contentOf }),
  z.looseObject({ role: z.literal('user'), content: contentOf }),
  z.looseObject({
    role: z.literal('assistant'),
    content: contentOf.nullish(),
    tool_plan: z.string().nullish(),
    tool_calls: z.array(ToolCallSchema).nullish(),
    citations: z.array(z.unknown()).nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: contentOf }),
]);

export const ToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

export const RequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().nullish(),
  tools: z.array(ToolSchema).nullish(),
  strict_tools: z.boolean().nullish(),
  documents: z.array(z.union([z.string(), DocumentObjectSchema])).nullish(),
  citation_options: z.looseObject({}).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object'), json_schema: z.record(z.string(), z.unknown()).nullish() }),
    ])
    .nullish(),
  safety_mode: z.enum(['CONTEXTUAL', 'STRICT', 'OFF']).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  stop_sequences: z.array(z.string()).max(5).nullish(),
  temperature: z.number().min(0).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().nullish(),
  presence_penalty: z.number().nullish(),
  k: z.number().int().min(0).max(500).nullish(),
  p: z.number().min(0).max(1).nullish(),
  logprobs: z.boolean().nullish(),
  tool_choice: z.enum(['REQUIRED', 'NONE']).nullish(),
  thinking: z
    .looseObject({ type: z.enum(['enabled', 'disabled']), token_budget: z.number().int().positive().nullish() })
    .nullish(),
  priority: z.number().int().nullish(),
});
export type WireRequest = z.infer<typeof RequestSchema>;
export type WireMessageIn = WireRequest['messages'][number];

// ---------------------------------------------------------------------------------------------------
// Inbound: a complete (non-streaming) upstream response. Checked loosely once per request.

export const ResponseSchema = z.looseObject({
  id: z.string().nullish(),
  finish_reason: z.string().nullish(),
  message: z.looseObject({
    content: z.array(AnyPartSchema).nullish(),
    tool_plan: z.string().nullish(),
    tool_calls: z.array(z.looseObject({ id: z.string().nullish(), function: z.looseObject({}).nullish() })).nullish(),
  }),
  usage: z.looseObject({}).nullish(),
});

// ---------------------------------------------------------------------------------------------------
// Outbound: what sluice sends (request bodies to upstreams, responses to clients).

export type WireTextPart = { type: 'text'; text: string };
export type WireThinkingPart = { type: 'thinking'; thinking: string };
export type WireImagePart = { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type WireMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | Array<WireTextPart | WireImagePart> }
  | {
      role: 'assistant';
      content?: string | Array<WireTextPart | WireThinkingPart>;
      tool_plan?: string;
      tool_calls?: WireToolCall[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface WireTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface WireDocument {
  id?: string;
  data: Record<string, unknown>;
}

/** A request body built from the canonical request (a non-Cohere front). */
export interface WireRequestBody {
  model: string;
  messages: WireMessage[];
  stream: boolean;
  tools?: WireTool[];
  strict_tools?: boolean;
  tool_choice?: 'REQUIRED' | 'NONE';
  documents?: WireDocument[];
  response_format?: { type: 'text' } | { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  k?: number;
  p?: number;
  thinking?: { type: 'enabled'; token_budget?: number } | { type: 'disabled' };
}

export interface WireUsage {
  billed_units: { input_tokens: number; output_tokens: number };
  tokens: { input_tokens: number; output_tokens: number };
  cached_tokens?: number;
}

/** The non-streaming response a client receives (§3). */
export interface WireResponse {
  id: string;
  finish_reason: string;
  message: {
    role: 'assistant';
    content: Array<WireTextPart | WireThinkingPart>;
    tool_plan?: string;
    tool_calls?: WireToolCall[];
  };
  usage: WireUsage;
}

/** §7: the error body before a stream. */
export interface WireErrorBody {
  message: string;
}
