// Converse / ConverseStream wire shapes (bedrock.md §3–§5; the AWS SDK's `models_0.d.ts`). Sent
// bodies are plain interfaces; received payloads are checked by hand where they are read (no zod per
// event). Union members carry exactly one key each; binary fields (`bytes`, `redactedContent`) are
// base64 strings in the JSON protocol.

export type WireImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type WireDocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

export interface WireCachePoint {
  cachePoint: { type: 'default'; ttl?: string };
}

export interface WireImage {
  image: { format: WireImageFormat; source: { bytes: string } | { s3Location: { uri: string } } };
}

export interface WireDocument {
  document: { format: WireDocumentFormat; name: string; source: { bytes: string } | { text: string } };
}

export interface WireText {
  text: string;
}

export interface WireReasoning {
  reasoningContent: { reasoningText: { text: string; signature?: string } } | { redactedContent: string };
}

export interface WireToolUse {
  toolUse: { toolUseId: string; name: string; input: unknown };
}

export type WireToolResultContent = WireText | { json: unknown } | WireImage | WireDocument;

export interface WireToolResult {
  toolResult: { toolUseId: string; content: WireToolResultContent[]; status?: 'success' | 'error' };
}

export type WireContentBlock = WireText | WireImage | WireDocument | WireReasoning | WireToolUse | WireToolResult | WireCachePoint;

export interface WireMessage {
  role: 'user' | 'assistant';
  content: WireContentBlock[];
}

export type WireSystemBlock = WireText | WireCachePoint;

export interface WireToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown }; strict?: boolean };
}

export type WireToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface WireToolConfig {
  tools: Array<WireToolSpec | WireCachePoint>;
  toolChoice?: WireToolChoice;
}

export interface WireInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface WireOutputConfig {
  textFormat?: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name?: string; description?: string } } };
}

/** The Converse / ConverseStream request body (modelId is only in the path). */
export interface WireConverseRequest {
  messages: WireMessage[];
  system?: WireSystemBlock[];
  inferenceConfig?: WireInferenceConfig;
  toolConfig?: WireToolConfig;
  additionalModelRequestFields?: Record<string, unknown>;
  outputConfig?: WireOutputConfig;
  [field: string]: unknown;
}

/** CountTokens (`POST /model/{id}/count-tokens`). */
export interface WireCountTokensRequest {
  input: { converse: { messages: WireMessage[]; system?: WireSystemBlock[]; toolConfig?: WireToolConfig; additionalModelRequestFields?: Record<string, unknown> } };
}

export interface WireTokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Content types of the two response kinds (bedrock.md §1). */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';
export const JSON_CONTENT_TYPE = 'application/json';
