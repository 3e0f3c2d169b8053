// The built-in `demo` provider: a local "model" that streams deterministic text at a realistic token
// pace, so a zero-config `npm start` streams end to end with no network and no key. It answers from
// the request (so it is deterministic), calls a declared tool when the client offers tools, and
// reports exact usage for what it produced.

import type { ChatRequest, Message } from '../../core/request.ts';
import type { EventSink } from '../../core/events.ts';
import { mintId } from '../../core/ids.ts';
import type { LocalRun } from '../../core/protocol.ts';

export interface DemoOptions {
  /** Delay before the first token and between tokens. */
  firstTokenMs: number;
  tokenMs: number;
}

export const DEMO_DEFAULTS: DemoOptions = {
  firstTokenMs: numberFromEnv('SLUICE_DEMO_FIRST_MS', 60),
  tokenMs: numberFromEnv('SLUICE_DEMO_TOKEN_MS', 25),
};


/** Plans the answer: the exact text tokens, or one tool call, for a request. */
export function planDemoAnswer(req: ChatRequest): { tokens: string[] } | { tool: { name: string; arguments: string } } {
  const last = req.messages[req.messages.length - 1];
  const tools = req.tools ?? [];
  const choice = req.toolChoice;
  if (last?.role === 'user' && tools.length > 0 && choice?.type !== 'none') {
    const tool = choice?.type === 'tool' ? (tools.find((t) => t.name === choice.name) ?? tools[0]!) : tools[0]!;
    return { tool: { name: tool.name, arguments: JSON.stringify(argsFor(tool.parameters)) } };
  }
  const text =
    last?.role === 'tool'
      ? `The tool returned: ${snippet(last, 80)}. That is all the demo model knows about it.`
      : `Hello! This is the sluice demo model answering "${snippet(last, 60)}". Each word arrives as its own event, a few milliseconds apart, so you can watch streaming work end to end without any API key.`;
  const tokens = text.split(/(?<= )/);
  return { tokens };
}

export function runDemo(req: ChatRequest, emit: EventSink, opts: DemoOptions = DEMO_DEFAULTS): LocalRun {
  const plan = planDemoAnswer(req);
  const inputTokens = Math.max(1, Math.round(JSON.stringify(req.messages).length / 4));
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const steps: Array<() => void> = [];
  steps.push(() => emit({ type: 'message-start', id: mintId('demo-'), model: 'demo', usage: { inputTokens, outputTokens: 0 } }));
  if ('tool' in plan) {
    const args = plan.tool.arguments;
    steps.push(() => emit({ type: 'block-start', index: 0, block: { kind: 'tool-call', id: mintId('call_'), name: plan.tool.name } }));
    // Fragments, as real models stream arguments.
    for (let i = 0; i < args.length; i += 8) {
      const piece = args.slice(i, i + 8);
      steps.push(() => emit({ type: 'tool-args-delta', index: 0, json: piece }));
    }
    steps.push(() => {
      emit({ type: 'block-end', index: 0 });
      emit({ type: 'usage', usage: { inputTokens, outputTokens: Math.ceil(args.length / 4) } });
      emit({ type: 'finish', reason: 'tool-calls' });
      emit({ type: 'done' });
    });
  } else {
    steps.push(() => emit({ type: 'block-start', index: 0, block: { kind: 'text' } }));
    for (const token of plan.tokens) steps.push(() => emit({ type: 'text-delta', index: 0, text: token }));
    steps.push(() => {
      emit({ type: 'block-end', index: 0 });
      emit({ type: 'usage', usage: { inputTokens, outputTokens: plan.tokens.length } });
      emit({ type: 'finish', reason: 'stop' });
      emit({ type: 'done' });
    });
  }
  let i = 0;
  const run = (): void => {
    timer = undefined;
    if (cancelled) return;
    // message-start and block-start go out with the first token, as a model's first chunk does.
    while (i < steps.length) {
      steps[i++]!();
      if (cancelled) return;
      if (i >= 2 && i < steps.length) break;
    }
    if (i < steps.length) timer = setTimeout(run, opts.tokenMs);
  };
  timer = setTimeout(run, opts.firstTokenMs);
  return {
    cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
    },
  };
}

function snippet(m: Message | undefined, max: number): string {
  if (!m) return '';
  let text = '';
  for (const p of m.content) {
    if (p.type === 'text') text += p.text;
    else if (p.type === 'tool-result') for (const c of p.content) if (c.type === 'text') text += c.text;
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Arguments that satisfy a JSON schema's required properties, deterministically. */
function argsFor(schema: Record<string, unknown>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, { type?: string; enum?: unknown[] }>;
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(props)) {
    if (Array.isArray(s.enum) && s.enum.length > 0) out[name] = s.enum[0];
    else if (s.type === 'number' || s.type === 'integer') out[name] = 1;
    else if (s.type === 'boolean') out[name] = true;
    else if (s.type === 'array') out[name] = [];
    else if (s.type === 'object') out[name] = {};
    else out[name] = 'demo';
  }
  return out;
}

function numberFromEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}
