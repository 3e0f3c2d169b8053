// What the Gemini front accepts (gemini.md §2, §8; ai.google.dev/api/generate-content). Google's
// proto-JSON parser takes lowerCamelCase and snake_case names and rejects unknown ones with 400
// ("Invalid JSON payload received. Unknown name …"), so the front knows every field by name and
// does the same. Fields only Gemini can honour are accepted and reach Gemini upstreams unchanged
// (the body travels as `raw`); decode-request.ts turns the rest into the canonical request.

/** GenerateContentRequest (the model is in the path). `model` may also appear in the body. */
export const REQUEST_FIELDS = new Set([
  'model',
  'contents',
  'tools',
  'toolConfig',
  'safetySettings',
  'systemInstruction',
  'generationConfig',
  'cachedContent',
  'labels',
]);

export const CONTENT_FIELDS = new Set(['role', 'parts']);

export const PART_FIELDS = new Set([
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
  'thought',
  'thoughtSignature',
  'videoMetadata',
  'partMetadata',
  'mediaResolution',
]);

export const GENERATION_CONFIG_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
  'audioTimestamp',
  'routingConfig',
  'modelSelectionConfig',
]);

export const THINKING_CONFIG_FIELDS = new Set(['includeThoughts', 'thinkingBudget', 'thinkingLevel']);

export const TOOL_FIELDS = new Set([
  'functionDeclarations',
  'googleSearch',
  'googleSearchRetrieval',
  'codeExecution',
  'urlContext',
  'computerUse',
  'fileSearch',
  'googleMaps',
  'retrieval',
  'enterpriseWebSearch',
  'mcpServers',
]);

export const FUNCTION_DECLARATION_FIELDS = new Set([
  'name',
  'description',
  'parameters',
  'parametersJsonSchema',
  'response',
  'responseJsonSchema',
  'behavior',
]);

export const TOOL_CONFIG_FIELDS = new Set(['functionCallingConfig', 'retrievalConfig']);
export const FUNCTION_CALLING_CONFIG_FIELDS = new Set(['mode', 'allowedFunctionNames', 'streamFunctionCallArguments']);

/** Per-request state the front keeps from decode to encode (ChatRequest.frontState). */
export interface GeminiFrontState {
  /** streamGenerateContent answers SSE with alt=sse, else one JSON array written element by element. */
  framing: 'sse' | 'json-array';
}

/** `{"totalTokens": n}` of countTokens (gemini.md §8.1). */
export interface CountTokensResponse {
  totalTokens: number;
  cachedContentTokenCount?: number;
}
