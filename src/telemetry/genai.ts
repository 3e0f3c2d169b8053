// The OpenTelemetry GenAI semantic conventions sluice follows (docs/telemetry.md lists every
// attribute with its meaning): attribute names as constants, and the `gen_ai.provider.name` of each
// upstream type (the conventions' well-known values). Names only, no OpenTelemetry import.

export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestStream: 'gen_ai.request.stream',
  requestEncodingFormats: 'gen_ai.request.encoding_formats',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  embeddingsDimensionCount: 'gen_ai.embeddings.dimension.count',
} as const;

/** General conventions used beside them. */
export const GENERAL = {
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  httpResponseStatusCode: 'http.response.status_code',
} as const;

/** sluice's own attributes, under its namespace. */
export const SLUICE = {
  requestId: 'sluice.request_id',
  keyName: 'sluice.key_name',
  front: 'sluice.front',
  target: 'sluice.target',
  endReason: 'sluice.end_reason',
  attempts: 'sluice.attempts',
  retries: 'sluice.retries',
  failovers: 'sluice.failovers',
  attempt: 'sluice.attempt',
  retryReason: 'sluice.retry_reason',
  failover: 'sluice.failover',
  costUsd: 'sluice.cost_usd',
  usageEstimated: 'sluice.usage.estimated',
  events: 'sluice.events',
} as const;

/** `gen_ai.provider.name` per upstream type; types the conventions do not name keep their own name. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'openai',
  'openai-responses': 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  bedrock: 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  cohere: 'cohere',
  demo: 'sluice.demo',
};

export function providerName(type: string): string {
  return Object.hasOwn(PROVIDER_NAMES, type) ? PROVIDER_NAMES[type]! : type;
}

/** Canonical finish reasons in the conventions' (OpenAI's) words. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'stop',
  'stop-sequence': 'stop',
  length: 'length',
  'context-exceeded': 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  refusal: 'content_filter',
  pause: 'pause',
};

export function finishReasonName(reason: string): string {
  return FINISH_REASONS[reason] ?? reason;
}
