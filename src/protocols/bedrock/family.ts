// Which model family a Bedrock model id belongs to: the family decides the model-native fields
// (Anthropic thinking and top_k, OpenAI reasoning_effort, Nova reasoningConfig) and the usage rule.
// Base ids (`anthropic.claude-…`), cross-region inference profiles (`us.anthropic.…`,
// `global.anthropic.…`) and ARNs that end in one of those name their vendor; application inference
// profile and provisioned-model ARNs do not (bedrock.md §1), so the provider's `model_family`
// setting states it for them.

export type ModelFamily = 'anthropic' | 'amazon' | 'meta' | 'mistral' | 'openai' | 'deepseek' | 'cohere' | 'other';

const KNOWN: ReadonlySet<string> = new Set(['anthropic', 'amazon', 'meta', 'mistral', 'openai', 'deepseek', 'cohere']);
/** Geography prefixes of cross-region inference profiles. */
const GEO_PREFIX = /^(?:us|eu|apac|global|us-gov|jp|au|ca)\./;

export function modelFamily(modelId: string, configured?: string): ModelFamily {
  let id = modelId;
  if (id.startsWith('arn:')) id = id.slice(id.lastIndexOf('/') + 1);
  id = id.replace(GEO_PREFIX, '');
  const dot = id.indexOf('.');
  const vendor = dot > 0 ? id.slice(0, dot) : '';
  if (KNOWN.has(vendor)) return vendor as ModelFamily;
  if (configured !== undefined && KNOWN.has(configured)) return configured as ModelFamily;
  return 'other';
}

export const MODEL_FAMILIES: readonly string[] = [...KNOWN];
