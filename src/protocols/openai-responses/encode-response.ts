// Responses front, non-streaming: canonical ChatResponse -> Response object (docs/protocols/openai-responses.md
// §2). The same items, in the same order, as the stream encoder's `response.completed`.

import { mintId } from '../../core/ids.ts';
import type { FrontContext } from '../../core/protocol.ts';
import type { ChatResponse } from '../../core/response.ts';
import { remember } from './encode-stream.ts';
import { toResponsesOutcome } from './finish-reason.ts';
import {
  callSignatureItem,
  customCallItem,
  customInput,
  functionCallItem,
  itemIdPrefix,
  messageItem,
  originOf,
  reasoningItem,
  responseObject,
} from './items.ts';
import { frontStateOf } from './state.ts';
import type { OutItem } from './wire.ts';

export function encodeResponsesResponse(resp: ChatResponse, ctx: FrontContext): string {
  const state = frontStateOf(ctx.chat?.frontState);
  const upstream = resp.id !== undefined ? state?.upstreamItems.get(resp.id) : undefined;
  const output: OutItem[] = [];
  resp.blocks.forEach((b, index) => {
    const given = upstream?.ids[index];
    switch (b.kind) {
      case 'text':
        output.push(messageItem(given ?? mintId('msg_'), b.text, 'completed', upstream?.phases[index]));
        return;
      case 'reasoning':
        output.push(reasoningItem(given ?? mintId('rs_'), b.text, b.signature, undefined));
        return;
      case 'redacted-reasoning':
        output.push(reasoningItem(given ?? mintId('rs_'), '', undefined, b.data));
        return;
      case 'tool-call': {
        if (b.signature !== undefined) output.push(callSignatureItem(b.signature));
        const origin = originOf(state, b.name);
        const id = given ?? mintId(itemIdPrefix(origin));
        output.push(
          origin.kind === 'custom'
            ? customCallItem(id, b.id, origin.name, customInput(b.arguments), 'completed')
            : functionCallItem(id, b.id, origin, b.arguments, 'completed'),
        );
        return;
      }
    }
  });
  const outcome = toResponsesOutcome(resp.finishReason);
  const response = responseObject({ id: mintId('resp_'), createdAt: ctx.created, model: ctx.model }, state, outcome.status, output, {
    ...(resp.usage !== undefined && { usage: resp.usage }),
    ...(outcome.incompleteReason !== undefined && { incompleteReason: outcome.incompleteReason }),
  });
  remember(state, ctx, output, response);
  return JSON.stringify(response);
}
