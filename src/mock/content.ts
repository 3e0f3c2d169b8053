// What the mock answers, independent of dialect: deterministic text, reasoning and tool calls, so a
// test can compute the exact expected output (mockText(N).join('')) and usage numbers.

import type { Finish, Plan } from './directives.ts';

// Words chosen to exercise encoders: multi-byte UTF-8 (2, 3 and 4 bytes), JSON escapes (quote,
// backslash, tab, newline). Every word but the first starts with a space, like real tokens.
const WORDS = [
  'Sluice', ' streams', ' every', ' token', ' as', ' it', ' arrives:', ' naïve', ' café', ' 🌧',
  ' "quoted"', ' back\\slash', ' tab\there', ' new\nline', ' 東京', ' end.',
];
const WORDS_JSON = WORDS.map((w) => JSON.stringify(w));
const CYCLE_START = ' ' + WORDS[0];
const CYCLE_START_JSON = JSON.stringify(CYCLE_START);

function wordAt(i: number): string {
  const w = i % WORDS.length;
  return w === 0 && i > 0 ? CYCLE_START : WORDS[w];
}

function wordJsonAt(i: number): string {
  const w = i % WORDS.length;
  return w === 0 && i > 0 ? CYCLE_START_JSON : WORDS_JSON[w];
}

/** The text deltas a response of `chunks` deltas streams; their concatenation is the answer. */
export function mockText(chunks: number): string[] {
  const out = new Array<string>(chunks);
  for (let i = 0; i < chunks; i++) out[i] = wordAt(i);
  return out;
}

/** The reasoning deltas for `reasoning=N`. */
export function mockReasoning(n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `${i === 0 ? '' : ' '}Thought ${i + 1}.`;
  return out;
}

/** The text deltas for `text=WORD`. */
export function repeatedText(word: string, chunks: number): string[] {
  const out = new Array<string>(chunks);
  if (chunks > 0) out[0] = word;
  const spaced = ' ' + word;
  for (let i = 1; i < chunks; i++) out[i] = spaced;
  return out;
}

const BIG_PATTERN = 'sluice-big-event-0123456789 ';

/** The single text delta of `fault=big_event size=BYTES` (ASCII, so bytes = characters). */
export function mockBigText(size: number): string {
  return BIG_PATTERN.repeat(Math.ceil(size / BIG_PATTERN.length)).slice(0, size);
}

/** Arguments of every tool call the mock makes: unicode, escapes, nesting. */
export const MOCK_TOOL_ARGS: Record<string, unknown> = Object.freeze({
  city: 'Oslo',
  days: 3,
  note: 'émoji 🌧 "quoted" back\\slash\nnew line',
  units: 'metric',
  options: { hourly: true, levels: [1, 2.5, null] },
});

export const MOCK_TOOL_ARGS_JSON = JSON.stringify(MOCK_TOOL_ARGS);

const FRAGMENT_CHARS = 9;

/** Splits at fixed widths — mid-key, mid-escape — but never inside a surrogate pair. */
function fragment(json: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < json.length) {
    let end = Math.min(start + FRAGMENT_CHARS, json.length);
    const code = json.charCodeAt(end);
    if (end < json.length && code >= 0xdc00 && code <= 0xdfff) end++;
    out.push(json.slice(start, end));
    start = end;
  }
  return out;
}

/** The streamed argument fragments of every tool call; joined they equal MOCK_TOOL_ARGS_JSON. */
export const MOCK_TOOL_ARGS_FRAGMENTS: readonly string[] = Object.freeze(fragment(MOCK_TOOL_ARGS_JSON));
const FRAGMENTS_JSON = MOCK_TOOL_ARGS_FRAGMENTS.map((f) => JSON.stringify(f));
const ARGS_JSON_STRING = JSON.stringify(MOCK_TOOL_ARGS_JSON);

export interface ToolCall {
  /** Unique within the server's lifetime; dialects add their own prefix (call_, toolu_). */
  id: string;
  name: string;
  nameJson: string;
}

export interface Usage {
  /** All prompt tokens, cached ones included (OpenAI prompt_tokens, Gemini promptTokenCount). */
  input: number;
  /** Everything generated, reasoning included (OpenAI completion_tokens, Anthropic output_tokens). */
  output: number;
  reasoning: number;
  /** Prompt tokens read from / written to the prompt cache (directives cached=, cache_write=). */
  cacheRead: number;
  cacheWrite: number;
}

/** Tokens the mock counts per tool call, so usage grows with calls. */
export const TOKENS_PER_TOOL_CALL = 10;

export interface Answer {
  reasoning: string[];
  text: string[];
  /** JSON string literals of `text`, shared and cached for the built-in words. */
  textJson: string[];
  toolCalls: ToolCall[];
  finish: Finish;
  usage: Usage | undefined;
  argsFragmentsJson: readonly string[];
  /** The arguments as JSON text (MOCK_TOOL_ARGS_JSON unless args= was given). */
  argsJson: string;
  /** argsJson as a JSON string literal (OpenAI `arguments`). */
  argsJsonString: string;
}

export interface RequestFacts {
  messageCount: number;
  toolNames: string[];
  /** Prompt tokens from a cache resource the request names (added to the input as cache reads). */
  cachedTokens?: number;
  /** The assistant text to continue (Inspected.prefill). */
  prefill?: string;
}

/**
 * The rest of an answer after `prefix`, cut at the same chunk boundaries (the first piece is what
 * remains of the chunk the prefix ends in). When the prefix is not the start of this answer, the
 * whole answer: a model asked to continue someone else's text still says something.
 */
export function continueAfter(text: readonly string[], prefix: string): string[] {
  if (!text.join('').startsWith(prefix)) return [...text];
  const out: string[] = [];
  let at = 0;
  for (const piece of text) {
    const end = at + piece.length;
    if (end > prefix.length) out.push(at >= prefix.length ? piece : piece.slice(prefix.length - at));
    at = end;
  }
  return out;
}

function toolNames(plan: Plan, declared: string[]): string[] {
  if (plan.tool === undefined && plan.tools === 0) return [];
  const count = Math.max(1, plan.tools);
  const tool = plan.tool ?? '1';
  const names: string[] = [];
  if (/^\d+$/.test(tool)) {
    // A number picks a declared tool (1-based); parallel calls take the following ones in turn.
    if (declared.length === 0) return [];
    const first = Math.max(0, Number(tool) - 1);
    for (let k = 0; k < count; k++) names.push(declared[(first + k) % declared.length]);
  } else {
    for (let k = 0; k < count; k++) names.push(tool);
  }
  return names;
}

export function buildAnswer(plan: Plan, facts: RequestFacts, requestId: number): Answer {
  let text: string[];
  let textJson: string[];
  if (plan.faults.has('big_event')) {
    text = [mockBigText(plan.size)];
    textJson = [JSON.stringify(text[0])];
  } else if (plan.text !== undefined) {
    text = repeatedText(plan.text, plan.chunks);
    const first = JSON.stringify(plan.text);
    const rest = JSON.stringify(' ' + plan.text);
    textJson = text.map((_, i) => (i === 0 ? first : rest));
  } else {
    text = mockText(plan.chunks);
    textJson = new Array<string>(plan.chunks);
    for (let i = 0; i < plan.chunks; i++) textJson[i] = wordJsonAt(i);
  }
  if (facts.prefill !== undefined) {
    text = continueAfter(text, facts.prefill);
    textJson = text.map((t) => JSON.stringify(t));
  }
  const reasoning = mockReasoning(plan.reasoning);
  const toolCalls = toolNames(plan, facts.toolNames).map((name, k) => ({
    id: `mock${requestId}_${k}`,
    name,
    nameJson: JSON.stringify(name),
  }));
  let finish: Finish = plan.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if (toolCalls.length > 0 && plan.faults.has('stop_with_tools')) finish = 'stop';
  const fromResource = facts.cachedTokens ?? 0;
  const usage: Usage | undefined = plan.usage
    ? {
        input: 10 + facts.messageCount + plan.cached + plan.cacheWrite + fromResource,
        output: text.length + reasoning.length + TOKENS_PER_TOOL_CALL * toolCalls.length,
        reasoning: reasoning.length,
        cacheRead: plan.cached + fromResource,
        cacheWrite: plan.cacheWrite,
      }
    : undefined;
  return {
    reasoning,
    text,
    textJson,
    toolCalls,
    finish,
    usage,
    argsFragmentsJson: plan.args === undefined ? FRAGMENTS_JSON : fragment(plan.args).map((f) => JSON.stringify(f)),
    argsJson: plan.args ?? MOCK_TOOL_ARGS_JSON,
    argsJsonString: plan.args === undefined ? ARGS_JSON_STRING : JSON.stringify(plan.args),
  };
}
