// The canonical request: every front decodes into it, every upstream encodes from it (docs/style.md:
// N + M translations, never N x M). It imports nothing else from sluice.

/** A dialect's name, as the protocol registry declares it (src/protocols/index.ts). */
export type ProtocolName = string;

export type ImageSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string };

/**
 * A prompt-cache breakpoint (Anthropic `cache_control`): the prefix up to and including the thing
 * that carries it may be cached. Re-emitted unchanged to dialects with per-block cache hints.
 */
export interface CacheControl { type: 'ephemeral'; ttl?: string }

export interface TextPart { type: 'text'; text: string; cacheControl?: CacheControl }
export interface ImagePart { type: 'image'; source: ImageSource; detail?: 'auto' | 'low' | 'high'; cacheControl?: CacheControl }
/** A document (PDF or plain text) as base64 data. */
export interface DocumentPart { type: 'document'; mediaType: string; data: string; filename?: string; cacheControl?: CacheControl }
/** Model reasoning carried in history. `signature` is opaque provider state that must round-trip. */
export interface ReasoningPart { type: 'reasoning'; text: string; signature?: string; redactedData?: string }
/** A tool call made by the assistant. `arguments` is JSON text (it may be invalid JSON: Q-25). */
export interface ToolCallPart { type: 'tool-call'; id: string; name: string; arguments: string; signature?: string; cacheControl?: CacheControl }
/** The result of a tool call, sent back by the client. */
export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  /** The called tool's name when known (Gemini needs it; OpenAI messages only carry the id). */
  name?: string;
  content: Array<TextPart | ImagePart>;
  isError?: boolean;
  cacheControl?: CacheControl;
}

export type ContentPart = TextPart | ImagePart | DocumentPart | ReasoningPart | ToolCallPart | ToolResultPart;

/**
 * Roles: `system` may appear anywhere (OpenAI allows it; Claude Code sends a trailing one); encoders
 * for dialects with a single system field gather them in order. Tool results travel in `tool` messages.
 */
export interface Message {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: ContentPart[];
  name?: string;
}

export interface ToolDef {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: CacheControl;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema?: Record<string, unknown>; strict?: boolean };

export interface ReasoningConfig {
  /** OpenAI-style effort: none | minimal | low | medium | high | xhigh | max. */
  effort?: string;
  /** Anthropic-style budget. */
  budgetTokens?: number;
  /** Anthropic `thinking: {type:"adaptive"}`. */
  adaptive?: boolean;
  /** Whether the client wants reasoning text streamed back (OpenAI `reasoning_content`). */
  include?: boolean;
}

export interface ChatRequest {
  /** The model name exactly as the client asked for it (echoed back in responses). */
  model: string;
  messages: Message[];
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: the client wants the usage chunk. */
  includeUsage: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  n?: number;
  tools?: ToolDef[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningConfig;
  user?: string;
  /** The dialect the client spoke, and its parsed body: a same-dialect upstream passes unknown fields through. */
  front: ProtocolName;
  raw: Record<string, unknown>;
  /** Opaque state a front carries from decoding to encoding (e.g. the Responses front's expanded history). */
  frontState?: unknown;
  /** Anthropic `anthropic-beta` header values from the client, forwarded to Anthropic-family upstreams. */
  anthropicBeta?: string;
  /**
   * Set by the gateway when it asks a target to continue a stream that broke after the commit point
   * (SPEC §4.6, gateway/continuation.ts): the last message is the assistant text sent so far, which
   * the answer must continue (as an Anthropic prefill), and the request is built from these canonical
   * fields — `raw`, the client's body, does not have that message. An upstream dialect that cannot
   * continue a message refuses it with GatewayError('unsupported').
   */
  continuation?: boolean;
  /**
   * Set by a front when the request holds content only its own dialect can carry (server tools,
   * uploaded file ids, custom tools…): why an upstream of another dialect must refuse it (400).
   */
  nonPortable?: string;
  /** Prompt-cache key (OpenAI `prompt_cache_key`), for upstreams that route cache hits by key. */
  cacheKey?: string;
}
