// A Converse response -> ChatResponse (bedrock.md §4). `toolUse.input` is an object here (string
// fragments only in streams). A 200 body without `output` is an error in disguise: the
// UnknownOperationException of an unencoded ARN answers 200.

import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/protocol.ts';
import type { ChatResponse, ResponseBlock } from '../../core/response.ts';
import { decodeBedrockError } from './errors.ts';
import type { ModelFamily } from './family.ts';
import { fromBedrockStopReason, MALFORMED_STOP_REASONS } from './finish-reason.ts';
import { toolNames } from './tool-names.ts';
import { toCanonicalUsage } from './usage.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeBedrockResponse(body: unknown, ctx: DecodeContext, family: ModelFamily = 'other'): ChatResponse {
  if (!isObject(body)) throw new GatewayError('upstream_malformed', `${ctx.provider} sent a response that is not a JSON object`);
  const message = isObject(body.output) && isObject(body.output.message) ? body.output.message : undefined;
  if (message === undefined) {
    if (body.Output !== undefined || body.__type !== undefined || body.message !== undefined || body.Message !== undefined) {
      throw decodeBedrockError(502, JSON.stringify(body), {});
    }
    throw new GatewayError('upstream_malformed', `${ctx.provider} sent a response without output.message`);
  }
  const names = toolNames(ctx.request);
  const blocks: ResponseBlock[] = [];
  const content = Array.isArray(message.content) ? message.content : [];
  for (const raw of content) {
    if (!isObject(raw)) continue;
    if (typeof raw.text === 'string') {
      if (raw.text !== '') blocks.push({ kind: 'text', text: raw.text });
    } else if (isObject(raw.toolUse)) {
      const t = raw.toolUse;
      if (typeof t.toolUseId !== 'string' || typeof t.name !== 'string') {
        throw new GatewayError('upstream_malformed', `${ctx.provider} sent a toolUse block without toolUseId or name`);
      }
      const input = t.input === undefined || t.input === null ? {} : t.input;
      blocks.push({ kind: 'tool-call', id: t.toolUseId, name: names.fromWire(t.name), arguments: JSON.stringify(input) });
    } else if (isObject(raw.reasoningContent)) {
      const r = raw.reasoningContent;
      if (typeof r.redactedContent === 'string') blocks.push({ kind: 'redacted-reasoning', data: r.redactedContent });
      else if (isObject(r.reasoningText) && typeof r.reasoningText.text === 'string') {
        const sig = r.reasoningText.signature;
        blocks.push(typeof sig === 'string' && sig !== '' ? { kind: 'reasoning', text: r.reasoningText.text, signature: sig } : { kind: 'reasoning', text: r.reasoningText.text });
      }
    }
    // citationsContent, images, guard content…: nothing sluice carries
  }
  const stopReason = typeof body.stopReason === 'string' ? body.stopReason : 'end_turn';
  if (MALFORMED_STOP_REASONS.has(stopReason)) {
    throw new GatewayError('upstream_error', `${ctx.provider}: the model's output could not be used (stopReason ${stopReason})`);
  }
  let finishReason = fromBedrockStopReason(stopReason);
  // a turn that called tools ends with tool-calls whatever the stop reason said.
  if (blocks.some((b) => b.kind === 'tool-call') && (finishReason === 'stop' || finishReason === 'stop-sequence')) finishReason = 'tool-calls';
  const resp: ChatResponse = { blocks, finishReason };
  const extra = body.additionalModelResponseFields;
  if (isObject(extra) && typeof extra.stop_sequence === 'string') resp.stopSequence = extra.stop_sequence;
  const usage = toCanonicalUsage(body.usage, family);
  if (usage) resp.usage = usage;
  return resp;
}
