// Directives select the mock's behaviour per request. Sources, later overriding earlier:
// server defaults (CLI / MockOptions) → `/_mock/<k=v;k=v>/` path prefix → `x-mock` header →
// `[[mock k=v k=v]]` in the last user message (so a client behind a gateway can pick faults from
// its prompt). This file parses those sources and turns the merged map into a typed Plan.

import {
  type DirectiveKey,
  type EndingFault,
  type FaultName,
  type ModeFault,
  FAULTS,
  isDirectiveKey,
  isFaultName,
} from './faults.ts';
import { ENCODINGS, type Encoding } from './encoding.ts';

export type Directives = Record<string, string>;

export type Finish = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface Plan {
  chunks: number;
  delayMs: number;
  firstMs: number;
  text: string | undefined;
  tool: string | undefined;
  tools: number;
  reasoning: number;
  usage: boolean;
  /** Prompt tokens reported as cache reads / writes. */
  cached: number;
  cacheWrite: number;
  /** JSON text of the tool-call arguments (args=), or undefined for MOCK_TOOL_ARGS. */
  args: string | undefined;
  finish: Finish | undefined;
  mode: ModeFault | undefined;
  ending: EndingFault | undefined;
  faults: ReadonlySet<FaultName>;
  status: number | undefined;
  retryAfter: number | undefined;
  /** Events before an ending fault, `glued` or `malformed`; each stream clamps it to its length. */
  after: number;
  style: string | undefined;
  everyMs: number;
  forMs: number | undefined;
  size: number;
  /** 0 = no keepalive frames. */
  keepaliveMs: number;
  /** The body compressed with this Content-Encoding. */
  encoding: Encoding | undefined;
}

const PAIR_SEPARATOR = /[;&\s]+/;

/** `k=v;k=v`, `k=v k=v` or `k=v&k=v`; a bare `k` means `k=1`. */
export function parseDirectiveList(text: string): Directives {
  const out: Directives = {};
  for (const pair of text.split(PAIR_SEPARATOR)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) out[pair] = '1';
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

const MOCK_SEGMENT = /^(.*?)\/_mock\/([^/]*)(\/.*)$/;

/** Strips a `/_mock/<directives>/` segment from a request path. */
export function splitMockPath(pathname: string): { path: string; directives: Directives | undefined } {
  const m = MOCK_SEGMENT.exec(pathname);
  if (m === null) return { path: pathname, directives: undefined };
  let list: string;
  try {
    list = decodeURIComponent(m[2]);
  } catch {
    list = m[2];
  }
  return { path: m[1] + m[3], directives: parseDirectiveList(list) };
}

const TEXT_DIRECTIVE = /\[\[mock\b([^\]]*)\]\]/g;

/** Every `[[mock k=v …]]` in the text, later ones overriding earlier ones. */
export function directivesInText(text: string): Directives | undefined {
  if (!text.includes('[[mock')) return undefined;
  let out: Directives | undefined;
  for (const m of text.matchAll(TEXT_DIRECTIVE)) out = Object.assign(out ?? {}, parseDirectiveList(m[1]));
  return out;
}

export function mergeDirectives(...sources: Array<Directives | undefined>): Directives {
  const out: Directives = {};
  for (const s of sources) if (s !== undefined) Object.assign(out, s);
  return out;
}

const FINISHES: ReadonlySet<string> = new Set<Finish>(['stop', 'length', 'content_filter', 'tool_calls']);
const DEFAULT_AFTER = 4;
const DEFAULT_EVERY_MS = 100;
const DEFAULT_KEEPALIVE_MS = 100;
const DEFAULT_BIG_EVENT = 1024 * 1024;
const MAX_BIG_EVENT = 256 * 1024 * 1024;
// Bounds so a typo in a directive cannot make the mock allocate gigabytes.
const MAX_DELTAS = 1_000_000;
const MAX_TOOL_CALLS = 64;

export class DirectiveError extends Error {}

function int(d: Directives, key: DirectiveKey, fallback: number): number;
function int(d: Directives, key: DirectiveKey, fallback: undefined): number | undefined;
function int(d: Directives, key: DirectiveKey, fallback: number | undefined): number | undefined {
  const raw = d[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new DirectiveError(`directive ${key} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** Validates the merged directives; throws DirectiveError with a message meant for the test author. */
export function buildPlan(d: Directives): Plan {
  for (const key of Object.keys(d)) {
    if (!isDirectiveKey(key)) throw new DirectiveError(`unknown directive "${key}"`);
  }
  const faults = new Set<FaultName>();
  let mode: ModeFault | undefined;
  let ending: EndingFault | undefined;
  for (const name of (d.fault ?? '').split(',')) {
    const trimmed = name.trim();
    if (trimmed === '') continue;
    if (!isFaultName(trimmed)) throw new DirectiveError(`unknown fault "${trimmed}"`);
    faults.add(trimmed);
    const kind = FAULTS[trimmed].kind;
    if (kind === 'mode') {
      if (mode !== undefined && mode !== trimmed) throw new DirectiveError(`faults ${mode} and ${trimmed} cannot be combined`);
      mode = trimmed as ModeFault;
    } else if (kind === 'ending') {
      if (ending !== undefined && ending !== trimmed) throw new DirectiveError(`faults ${ending} and ${trimmed} cannot be combined`);
      ending = trimmed as EndingFault;
    }
  }
  const finish = d.finish;
  if (finish !== undefined && !FINISHES.has(finish)) throw new DirectiveError(`directive finish must be one of ${[...FINISHES].join('|')}, got "${finish}"`);
  const status = int(d, 'status', undefined);
  if (status !== undefined && (status < 100 || status > 599)) throw new DirectiveError(`directive status must be 100..599, got ${status}`);
  const size = int(d, 'size', DEFAULT_BIG_EVENT);
  if (size < 1 || size > MAX_BIG_EVENT) throw new DirectiveError(`directive size must be 1..${MAX_BIG_EVENT}`);
  const usage = d.usage;
  if (usage !== undefined && usage !== '0' && usage !== '1') throw new DirectiveError(`directive usage must be 0 or 1, got "${usage}"`);
  const every = int(d, 'every', DEFAULT_EVERY_MS);
  if (every === 0) throw new DirectiveError('directive every must be at least 1 ms');
  // keepalive=0 switches keepalive frames off, even with fault=keepalive.
  const keepaliveMs = int(d, 'keepalive', faults.has('keepalive') ? DEFAULT_KEEPALIVE_MS : 0);
  const chunks = int(d, 'chunks', 12);
  const reasoning = int(d, 'reasoning', 0);
  const tools = int(d, 'tools', 0);
  if (chunks > MAX_DELTAS || reasoning > MAX_DELTAS) throw new DirectiveError(`chunks and reasoning are limited to ${MAX_DELTAS}`);
  if (tools > MAX_TOOL_CALLS) throw new DirectiveError(`tools is limited to ${MAX_TOOL_CALLS}`);
  const encoding = d.encoding === undefined || d.encoding === '' ? undefined : d.encoding;
  if (encoding !== undefined && !(ENCODINGS as readonly string[]).includes(encoding)) {
    throw new DirectiveError(`directive encoding must be one of ${ENCODINGS.join('|')}, got "${encoding}"`);
  }
  let args: string | undefined;
  if (d.args !== undefined && d.args !== '') {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(d.args, 'base64url').toString('utf8'));
    } catch {
      throw new DirectiveError('directive args must be base64url of a JSON object');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DirectiveError('directive args must be base64url of a JSON object');
    args = JSON.stringify(value);
  }
  return {
    chunks,
    delayMs: int(d, 'delay', 0),
    firstMs: int(d, 'first', 0),
    text: d.text === '' ? undefined : d.text,
    tool: d.tool === '' ? undefined : d.tool,
    tools,
    reasoning,
    usage: usage !== '0',
    cached: int(d, 'cached', 0),
    cacheWrite: int(d, 'cache_write', 0),
    args,
    finish: finish as Finish | undefined,
    mode,
    ending,
    faults,
    status,
    retryAfter: int(d, 'retry_after', undefined),
    after: int(d, 'after', DEFAULT_AFTER),
    style: d.style,
    everyMs: every,
    forMs: int(d, 'for', undefined),
    size,
    keepaliveMs,
    // Invalid bytes need an encoding to be invalid in.
    encoding: (encoding as Encoding | undefined) ?? (ending === 'corrupt_encoding' ? 'gzip' : undefined),
  };
}
