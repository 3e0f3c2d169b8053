// Anthropic Messages wire shapes (anthropic-messages.md §2–§7). Inbound client requests are validated
// with zod (decode-request.ts); upstream stream events are checked by hand in decode-stream.ts (zod per
// event is too slow on the hot path); what sluice sends out is typed with plain interfaces.

import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------
// Inbound: a client's request body (front side). Unknown fields pass (looseObject): they stay in
// `raw` for an Anthropic upstream (Claude Code sends context_management, cache_control, … §11).

const textBlocks = z.array(z.looseObject({ type: z.literal('text'), text: z.string() }));

/** Content blocks are only checked for a string `type` here; each known type has its own schema below. */
export const AnyBlockSchema = z.looseObject({ type: z.string() });

export const MessageSchema = z.looseObject({
  // `system`: Claude Code sends a trailing mid-conversation system message (§11).
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(AnyBlockSchema)]),
});

const disableParallel = { disable_parallel_tool_use: z.boolean().optional() };

export const ToolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...disableParallel }),
  z.looseObject({ type: z.literal('any'), ...disableParallel }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), ...disableParallel }),
  z.looseObject({ type: z.literal('none') }),
]);

export const ThinkingSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('enabled'),
    budget_tokens: z.number().int().positive(),
    display: z.string().optional(),
  }),
  z.looseObject({ type: z.literal('adaptive'), display: z.string().optional() }),
  z.looseObject({ type: z.literal('disabled') }),
]);

export const RequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(MessageSchema).min(1),
  system: z.union([z.string(), textBlocks]).optional(),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  // Tools are checked one by one (client tool vs typed server tool) in decode-request.ts.
  tools: z.array(z.looseObject({})).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  thinking: ThinkingSchema.optional(),
  output_config: z
    .looseObject({
      effort: z.string().optional(),
      format: z.looseObject({ type: z.string(), schema: z.record(z.string(), z.unknown()).optional() }).optional(),
    })
    .optional(),
});
export type WireRequest = z.infer<typeof RequestSchema>;

export const ClientToolSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
});

export const Base64SourceSchema = z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() });
export const UrlSourceSchema = z.looseObject({ type: z.literal('url'), url: z.string() });
export const TextSourceSchema = z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() });
/** A source is checked by its `type` in decode-request.ts; `file`/`content` sources are Anthropic-only. */
const AnySourceSchema = z.looseObject({ type: z.string() });

export const TextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const ImageBlockSchema = z.looseObject({ type: z.literal('image'), source: AnySourceSchema });
export const DocumentBlockSchema = z.looseObject({
  type: z.literal('document'),
  source: AnySourceSchema,
  title: z.string().nullish(),
});
export const ToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
export const ToolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(AnyBlockSchema)]).optional(),
  is_error: z.boolean().optional(),
});
export const ThinkingBlockSchema = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().optional(),
});
export const RedactedThinkingBlockSchema = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

// ---------------------------------------------------------------------------------------------------
// Inbound: a complete (non-streaming) upstream response. Checked loosely once per request.

export const ResponseSchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  content: z.array(AnyBlockSchema),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: z.looseObject({}).optional(),
});

// ---------------------------------------------------------------------------------------------------
// Outbound: what sluice sends (request bodies to upstreams, responses to clients).

export interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  /** Thinking tokens inside output_tokens, where known (newer Anthropic usage, §5). */
  output_tokens_details?: { thinking_tokens: number };
}

/** A prompt-cache breakpoint on a block or tool (§2). */
export interface WireCacheControl { type: 'ephemeral'; ttl?: string }

export type WireImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string };

export interface WireTextBlock { type: 'text'; text: string; cache_control?: WireCacheControl }
export interface WireImageBlock { type: 'image'; source: WireImageSource; cache_control?: WireCacheControl }
export interface WireDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'text'; media_type: 'text/plain'; data: string };
  title?: string;
  cache_control?: WireCacheControl;
}
export interface WireToolUseBlock { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; cache_control?: WireCacheControl }
export interface WireToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<WireTextBlock | WireImageBlock>;
  is_error?: boolean;
  cache_control?: WireCacheControl;
}
export interface WireThinkingBlock { type: 'thinking'; thinking: string; signature: string }
export interface WireRedactedThinkingBlock { type: 'redacted_thinking'; data: string }

export type WireRequestBlock =
  | WireTextBlock
  | WireImageBlock
  | WireDocumentBlock
  | WireToolUseBlock
  | WireToolResultBlock
  | WireThinkingBlock
  | WireRedactedThinkingBlock;

export interface WireMessage { role: 'user' | 'assistant'; content: WireRequestBlock[] }

export interface WireTool { name: string; description?: string; input_schema: Record<string, unknown>; cache_control?: WireCacheControl }

export type WireToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export type WireThinking = { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };

/** A request body built from the canonical request (a non-Anthropic front). */
export interface WireRequestBody {
  model: string;
  max_tokens: number;
  /** A string, or text blocks when some carry a cache breakpoint. */
  system?: string | WireTextBlock[];
  messages: WireMessage[];
  tools?: WireTool[];
  tool_choice?: WireToolChoice;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id: string };
  thinking?: WireThinking;
  output_config?: { format: { type: 'json_schema'; schema: Record<string, unknown> } };
  stream: boolean;
}

export type WireResponseBlock =
  | WireTextBlock
  | WireThinkingBlock
  | WireRedactedThinkingBlock
  | WireToolUseBlock;

/** The non-streaming response a client receives (§5). */
export interface WireResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: WireResponseBlock[];
  stop_reason: string;
  stop_sequence: string | null;
  usage: WireUsage;
}

/** §7: the error body, before a stream (HTTP) and inside it (`event: error`). */
export interface WireErrorBody {
  type: 'error';
  error: { type: string; message: string };
}
