// The common chat request checked by hand before zod (docs/pipeline.md, "Request validation"): a
// model, plain messages with string content, and scalar settings. Such a body is valid under
// chatRequestSchema and zod's output would equal it (every object in the schema is loose, nothing is
// transformed or defaulted), so the decoder reads the body itself. Anything else — tools, content
// parts, tool calls, a value out of range, an unexpected type — answers false and goes through zod,
// which also words the error. False is always safe; true must never be said of a body zod refuses
// (test/protocols/openai/plain-request.test.ts compares the two on generated bodies).

import { REASONING_EFFORTS } from './wire.ts';

const EFFORTS: ReadonlySet<unknown> = new Set(REASONING_EFFORTS);

/** The schema's top-level fields this check does not take apart: present and not null → zod. */
const STRUCTURED = ['tools', 'tool_choice', 'functions', 'function_call', 'response_format', 'reasoning'] as const;

export function isPlainChatRequest(b: Record<string, unknown>): boolean {
  const model = b.model;
  if (typeof model !== 'string' || model === '') return false;
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (let i = 0; i < messages.length; i++) if (!plainMessage(messages[i])) return false;
  for (let i = 0; i < STRUCTURED.length; i++) if (b[STRUCTURED[i]!] != null) return false;
  // An own `__proto__` member (JSON.parse makes one) is left to zod.
  if (Object.hasOwn(b, '__proto__')) return false;
  const options = b.stream_options;
  if (options != null && (typeof options !== 'object' || Array.isArray(options) || !nullishBoolean((options as Record<string, unknown>).include_usage))) return false;
  const stop = b.stop;
  if (stop != null && typeof stop !== 'string' && !stringArray(stop)) return false;
  const effort = b.reasoning_effort;
  if (effort != null && !EFFORTS.has(effort)) return false;
  return (
    nullishBoolean(b.stream) &&
    nullishBoolean(b.parallel_tool_calls) &&
    nullishBoolean(b.include_reasoning) &&
    (b.user == null || typeof b.user === 'string') &&
    positiveInt(b.max_tokens) &&
    positiveInt(b.max_completion_tokens) &&
    positiveInt(b.n) &&
    inRange(b.temperature, 0, 2) &&
    inRange(b.top_p, 0, 1) &&
    inRange(b.presence_penalty, -2, 2) &&
    inRange(b.frequency_penalty, -2, 2) &&
    (b.top_k == null || Number.isSafeInteger(b.top_k)) &&
    (b.seed == null || Number.isSafeInteger(b.seed))
  );
}

/** A system, developer, user or tool message with string content, or an assistant message with text only. */
function plainMessage(m: unknown): boolean {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const msg = m as Record<string, unknown>;
  const content = msg.content;
  switch (msg.role) {
    case 'user':
    case 'system':
    case 'developer':
      return typeof content === 'string' && nullishString(msg.name);
    case 'tool':
      return typeof content === 'string' && typeof msg.tool_call_id === 'string';
    case 'assistant':
      return (
        (content == null || typeof content === 'string') &&
        msg.tool_calls == null &&
        msg.function_call == null &&
        nullishString(msg.refusal) &&
        nullishString(msg.name)
      );
    default:
      return false;
  }
}

function nullishBoolean(v: unknown): boolean {
  return v == null || typeof v === 'boolean';
}

function nullishString(v: unknown): boolean {
  return v == null || typeof v === 'string';
}

function positiveInt(v: unknown): boolean {
  return v == null || (Number.isSafeInteger(v) && (v as number) >= 1);
}

function inRange(v: unknown, min: number, max: number): boolean {
  return v == null || (typeof v === 'number' && v >= min && v <= max);
}

function stringArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}
