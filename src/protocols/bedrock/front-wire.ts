// Inbound Converse request bodies (the Bedrock front), validated with zod. Content blocks are unions
// with one key each: a block is checked for the key it carries by decode-request.ts. Unknown
// top-level fields pass (looseObject) and stay in `raw` for a Bedrock upstream.

import { z } from 'zod';

const Bytes = z.string();

export const ImageSchema = z.looseObject({
  format: z.enum(['png', 'jpeg', 'gif', 'webp']),
  source: z.union([z.looseObject({ bytes: Bytes }), z.looseObject({ s3Location: z.looseObject({ uri: z.string() }) })]),
});

export const DocumentSchema = z.looseObject({
  format: z.enum(['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md']),
  name: z.string().min(1),
  source: z.union([z.looseObject({ bytes: Bytes }), z.looseObject({ text: z.string() })]),
});

export const ToolUseSchema = z.looseObject({ toolUseId: z.string().min(1), name: z.string().min(1), input: z.unknown() });

export const ToolResultSchema = z.looseObject({
  toolUseId: z.string().min(1),
  content: z.array(z.looseObject({})),
  status: z.enum(['success', 'error']).optional(),
});

export const ReasoningSchema = z.union([
  z.looseObject({ reasoningText: z.looseObject({ text: z.string(), signature: z.string().optional() }) }),
  z.looseObject({ redactedContent: Bytes }),
]);

export const CachePointSchema = z.looseObject({ type: z.literal('default'), ttl: z.string().optional() });

const MessageSchema = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.array(z.looseObject({})).min(1),
});

const ToolSpecSchema = z.looseObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  description: z.string().optional(),
  inputSchema: z.looseObject({ json: z.unknown() }),
  strict: z.boolean().optional(),
});

export const ConverseRequestSchema = z.looseObject({
  messages: z.array(MessageSchema).optional(),
  system: z.array(z.looseObject({})).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(2500).optional(),
    })
    .optional(),
  toolConfig: z
    .looseObject({
      tools: z.array(z.union([z.looseObject({ toolSpec: ToolSpecSchema }), z.looseObject({ cachePoint: CachePointSchema })])).min(1),
      toolChoice: z
        .union([
          z.looseObject({ auto: z.looseObject({}) }),
          z.looseObject({ any: z.looseObject({}) }),
          z.looseObject({ tool: z.looseObject({ name: z.string().min(1) }) }),
        ])
        .optional(),
    })
    .optional(),
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  outputConfig: z
    .looseObject({
      textFormat: z
        .looseObject({
          type: z.literal('json_schema'),
          structure: z.looseObject({ jsonSchema: z.looseObject({ schema: z.string(), name: z.string().optional() }) }),
        })
        .optional(),
    })
    .optional(),
});

export type InboundConverse = z.infer<typeof ConverseRequestSchema>;

/** Anthropic Messages bodies on /invoke*: the fields Bedrock adds to an Anthropic body (bedrock.md §8). */
export const InvokeEnvelopeSchema = z.looseObject({
  anthropic_version: z.string().optional(),
  anthropic_beta: z.array(z.string()).optional(),
});
