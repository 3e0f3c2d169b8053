// Bedrock tool names must match [a-zA-Z0-9_-]{1,64}. Names that do not (MCP-style `a.b`,
// `server:tool`) are mapped to valid ones for the request and back in the answer. The mapping is a
// pure function of the request, so the encoder and the decoders compute the same one independently.

import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../core/request.ts';

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

export interface ToolNames {
  toWire(name: string): string;
  fromWire(name: string): string;
}

const IDENTITY: ToolNames = { toWire: (n) => n, fromWire: (n) => n };
const cache = new WeakMap<ChatRequest, ToolNames>();

export function toolNames(req: ChatRequest): ToolNames {
  let names = cache.get(req);
  if (names === undefined) {
    names = build(req);
    cache.set(req, names);
  }
  return names;
}

function build(req: ChatRequest): ToolNames {
  const all = new Set<string>();
  for (const t of req.tools ?? []) all.add(t.name);
  for (const m of req.messages) for (const p of m.content) if (p.type === 'tool-call') all.add(p.name);
  if (req.toolChoice?.type === 'tool') all.add(req.toolChoice.name);
  let invalid = false;
  for (const n of all) if (!VALID.test(n)) invalid = true;
  if (!invalid) return IDENTITY;
  const to = new Map<string, string>();
  const from = new Map<string, string>();
  for (const n of all) {
    const wire = VALID.test(n) ? n : wireName(n);
    to.set(n, wire);
    from.set(wire, n);
  }
  return { toWire: (n) => to.get(n) ?? wireName(n), fromWire: (n) => from.get(n) ?? n };
}

function wireName(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 55);
  return `${cleaned}_${hash}`;
}
