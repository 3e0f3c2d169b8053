// Output items and Response objects as the Responses front sends them (docs/protocols/openai-responses.md
// §2), shared by the stream encoder and the non-streaming one so that `response.completed` and a
// non-streaming answer carry the same items.

import { mintId } from '../../core/ids.ts';
import type { Usage } from '../../core/events.ts';
import { readResponsesSignature, sealEnvelope } from './signatures.ts';
import type { ResponsesFrontState, ToolOrigin } from './state.ts';
import { toResponsesUsage } from './usage.ts';
import type {
  OutCustomToolCallItem,
  OutFunctionCallItem,
  OutItem,
  OutMessageItem,
  OutReasoningItem,
  OutResponse,
  OutputTextPart,
  ResponseStatus,
} from './wire.ts';

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export function textPart(text: string): OutputTextPart {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

export function messageItem(id: string, text: string | undefined, status: ItemStatus, phase: string | undefined): OutMessageItem {
  const item: OutMessageItem = { id, type: 'message', status, content: text === undefined ? [] : [textPart(text)], role: 'assistant' };
  if (phase !== undefined) item.phase = phase;
  return item;
}

/**
 * A reasoning block as an item. Its id and encrypted_content come from the block's signature when the
 * reasoning is OpenAI's (signatures.ts): OpenAI returned encrypted_content only if the client asked
 * for it (`include` passes through). Otherwise the id is minted and sluice's envelope holds the exact
 * canonical part whenever there is opaque state to keep: without it a later turn cannot replay the
 * signed thinking, and the envelope is sluice's own data, not OpenAI's.
 */
export function reasoningItem(mintedId: string, text: string, signature: string | undefined, redactedData: string | undefined): OutReasoningItem {
  const openai = readResponsesSignature(signature);
  const item: OutReasoningItem = { id: openai?.id ?? mintedId, type: 'reasoning', summary: text === '' ? [] : [{ type: 'summary_text', text }] };
  if (openai) {
    if (openai.encryptedContent !== undefined) item.encrypted_content = openai.encryptedContent;
  } else if (signature !== undefined || redactedData !== undefined) {
    item.encrypted_content = sealEnvelope({
      kind: 'reasoning',
      part: { type: 'reasoning', text, ...(signature !== undefined && { signature }), ...(redactedData !== undefined && { redactedData }) },
    });
  }
  return item;
}

/** A Gemini thought signature bound to the next function call travels in a reasoning item of its own. */
export function callSignatureItem(signature: string): OutReasoningItem {
  return { id: mintId('rs_'), type: 'reasoning', summary: [], encrypted_content: sealEnvelope({ kind: 'call-signature', signature }) };
}

export function functionCallItem(id: string, callId: string, origin: ToolOrigin, args: string, status: ItemStatus): OutFunctionCallItem {
  const item: OutFunctionCallItem = { id, type: 'function_call', status, arguments: args, call_id: callId, name: origin.name };
  if (origin.namespace !== undefined) item.namespace = origin.namespace;
  return item;
}

export function customCallItem(id: string, callId: string, name: string, input: string, status: ItemStatus): OutCustomToolCallItem {
  return { id, type: 'custom_tool_call', status, call_id: callId, name, input };
}

/** The raw string of a custom tool call: the `input` argument of its canonical function form. */
export function customInput(args: string): string {
  try {
    const value = JSON.parse(args) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).input === 'string') {
      return (value as { input: string }).input;
    }
    if (typeof value === 'string') return value;
  } catch {
    // The model wrote something else than the declared object: hand it over as it is.
  }
  return args;
}

/** How the client declared the tool a canonical call names (a plain function when unknown). */
export function originOf(state: ResponsesFrontState | undefined, name: string): ToolOrigin {
  return state?.tools.get(name) ?? { kind: 'function', name };
}

export function itemIdPrefix(origin: ToolOrigin): string {
  return origin.kind === 'custom' ? 'ctc_' : 'fc_';
}

/** Request echo fields when the request did not come through this front's decoder (tests, conformance). */
const FALLBACK_TEMPLATE: ResponsesFrontState['template'] = {
  object: 'response',
  background: false,
  instructions: null,
  max_output_tokens: null,
  max_tool_calls: null,
  parallel_tool_calls: true,
  previous_response_id: null,
  prompt_cache_key: null,
  reasoning: { effort: null, summary: null },
  safety_identifier: null,
  service_tier: 'default',
  store: false,
  temperature: null,
  text: { format: { type: 'text' }, verbosity: 'medium' },
  tool_choice: 'auto',
  tools: [],
  top_logprobs: 0,
  top_p: null,
  truncation: 'disabled',
  user: null,
  metadata: {},
};

export interface ResponseHead {
  id: string;
  createdAt: number;
  model: string;
}

export function responseObject(
  head: ResponseHead,
  state: ResponsesFrontState | undefined,
  status: ResponseStatus,
  output: OutItem[],
  extra: { usage?: Usage; incompleteReason?: string; error?: { code: string; message: string } } = {},
): OutResponse {
  const t = state?.template ?? FALLBACK_TEMPLATE;
  return {
    id: head.id,
    object: 'response',
    created_at: head.createdAt,
    status,
    background: t.background,
    error: extra.error ?? null,
    incomplete_details: extra.incompleteReason !== undefined ? { reason: extra.incompleteReason } : null,
    instructions: t.instructions,
    max_output_tokens: t.max_output_tokens,
    max_tool_calls: t.max_tool_calls,
    model: head.model,
    output,
    parallel_tool_calls: t.parallel_tool_calls,
    previous_response_id: t.previous_response_id,
    prompt_cache_key: t.prompt_cache_key,
    reasoning: t.reasoning,
    safety_identifier: t.safety_identifier,
    service_tier: t.service_tier,
    store: t.store,
    temperature: t.temperature,
    text: t.text,
    tool_choice: t.tool_choice,
    tools: t.tools,
    top_logprobs: t.top_logprobs,
    top_p: t.top_p,
    truncation: t.truncation,
    usage: extra.usage ? toResponsesUsage(extra.usage) : null,
    user: t.user,
    metadata: t.metadata,
  };
}
