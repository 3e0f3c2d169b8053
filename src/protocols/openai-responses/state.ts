// What the Responses front carries from decoding a request to encoding its answer
// (ChatRequest.frontState): the expanded history it stores with the response, how each canonical tool
// name maps back to what the client declared, and the request fields a Response object echoes.

import type { OutResponse } from './wire.ts';

/** How the client declared a tool that the canonical request knows by `canonicalName`. */
export interface ToolOrigin {
  /** `custom` tools take one raw string: their calls go back as `custom_tool_call` items. */
  kind: 'function' | 'custom';
  name: string;
  /** Set for a function declared inside a `namespace` tool (Codex, §5.2). */
  namespace?: string;
}

/**
 * Identity of the items an openai-responses upstream produced, by canonical block index, so that a
 * Responses client behind sluice sees the upstream's own item ids (Responses → Responses keeps ids
 * byte for byte; clients send them back as item_reference or with store).
 */
export interface UpstreamItemIds {
  ids: Array<string | undefined>;
  phases: Array<string | undefined>;
}

export class ResponsesFrontState {
  /** The input items after previous_response_id and item_reference expansion, as the client's JSON. */
  input: unknown[];
  /** True when the items differ from the client's `input` (an upstream of this dialect must send them). */
  expanded: boolean;
  readonly tools: Map<string, ToolOrigin>;
  /** Keep this response in the store (responses.store on and the request did not say store: false). */
  readonly store: boolean;
  /** The client key whose request this is: only it may read the stored response back (store.ts). */
  readonly owner: string | undefined;
  readonly retentionMs: number;
  /** The Response object's request-echo fields (everything but id, status, output, usage, errors). */
  readonly template: Omit<OutResponse, 'id' | 'created_at' | 'status' | 'output' | 'usage' | 'error' | 'incomplete_details' | 'model'>;
  /** Upstream response id -> item ids (written by this folder's upstream decoders). */
  readonly upstreamItems = new Map<string, UpstreamItemIds>();

  constructor(init: {
    input: unknown[];
    expanded: boolean;
    tools: Map<string, ToolOrigin>;
    store: boolean;
    owner?: string;
    retentionMs: number;
    template: ResponsesFrontState['template'];
  }) {
    this.input = init.input;
    this.expanded = init.expanded;
    this.tools = init.tools;
    this.store = init.store;
    this.owner = init.owner;
    this.retentionMs = init.retentionMs;
    this.template = init.template;
  }
}

export function frontStateOf(value: unknown): ResponsesFrontState | undefined {
  return value instanceof ResponsesFrontState ? value : undefined;
}
