// Gemini wire shapes (gemini.md §2–§5). Outbound bodies are plain interfaces. Inbound responses are
// described as loose types and checked by hand in decode-stream.ts: zod on every SSE chunk would cost
// more than the JSON.parse itself (protocol brief: no per-event schema validation on the hot path).

// ---- Request (what sluice sends) ----

export interface GeminiInlineData { mimeType: string; data: string }

export interface GeminiFunctionCall { name: string; args: Record<string, unknown> }

export interface GeminiFunctionResponse { name: string; response: Record<string, unknown> }

/** Exactly one data field per part, plus the optional thought signature (gemini.md §2, §6). */
export type GeminiPart =
  | { text: string }
  | { inlineData: GeminiInlineData }
  | { functionCall: GeminiFunctionCall; thoughtSignature?: string }
  | { functionResponse: GeminiFunctionResponse };

export interface GeminiContent { role: 'user' | 'model'; parts: GeminiPart[] }

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiFunctionCallingConfig {
  mode: 'AUTO' | 'ANY' | 'NONE';
  allowedFunctionNames?: string[];
}

export interface GeminiThinkingConfig { includeThoughts?: boolean; thinkingBudget?: number }

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  candidateCount?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
}

export interface GeminiRequest {
  systemInstruction?: { parts: Array<{ text: string }> };
  contents: GeminiContent[];
  tools?: Array<{ functionDeclarations: GeminiFunctionDeclaration[] }>;
  toolConfig?: { functionCallingConfig: GeminiFunctionCallingConfig };
  generationConfig?: GeminiGenerationConfig;
  /** A cachedContents resource name; the request then carries no systemInstruction, tools or toolConfig (gemini.md §9). */
  cachedContent?: string;
}

/** What a cachedContents resource holds: the part of a request it stands for (gemini.md §9). */
export interface GeminiCachedPrefix {
  systemInstruction?: GeminiRequest['systemInstruction'];
  tools?: GeminiRequest['tools'];
  toolConfig?: GeminiRequest['toolConfig'];
  contents?: GeminiContent[];
}

/** A created or updated cachedContents resource, as Google answers (every field optional until checked). */
export interface GeminiCachedContentReply {
  name?: unknown;
  model?: unknown;
  expireTime?: unknown;
  usageMetadata?: { totalTokenCount?: unknown } | null;
}

// ---- Response (what Gemini sends; every field optional until checked) ----

export interface GeminiResponsePart {
  text?: unknown;
  thought?: unknown;
  thoughtSignature?: unknown;
  functionCall?: { name?: unknown; args?: unknown; id?: unknown } | null;
}

export interface GeminiCandidate {
  content?: { role?: unknown; parts?: unknown } | null;
  finishReason?: unknown;
  index?: unknown;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: unknown;
  candidatesTokenCount?: unknown;
  thoughtsTokenCount?: unknown;
  toolUsePromptTokenCount?: unknown;
  cachedContentTokenCount?: unknown;
  totalTokenCount?: unknown;
}

/** One `GenerateContentResponse` (a whole reply, or one `alt=sse` chunk of new parts). */
export interface GeminiResponse {
  candidates?: unknown;
  promptFeedback?: { blockReason?: unknown } | null;
  usageMetadata?: GeminiUsageMetadata | null;
  modelVersion?: unknown;
  responseId?: unknown;
  error?: unknown;
}

/** `{"error":{code,message,status,details}}` (gemini.md §5). */
export interface GeminiErrorBody {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

/** Google's documented dummy for calls Gemini did not sign (gemini.md §6). */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';
