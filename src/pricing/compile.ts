// A model's prices compiled into a small table that prices one request with a few multiplications
// (docs/pricing.md). The arithmetic is the catalog package's own (@pydantic/genai-prices), narrowed
// to the usage sluice reports, so a compiled price gives the same number, to the last bit, as the
// package's calcPrice — test/pricing/catalog.test.ts checks it on every model of the catalog:
//
// - Usage is split into disjoint leaves: cache reads and cache writes are carved out of the input
//   tokens and reasoning out of the output tokens, but only where the model has a price of their own
//   (without one they stay in, and are charged as, their parent).
// - A leaf costs price × tokens / per; `per` is 1e6 for `*_mtok` prices and 1e3 for `requests_kcount`
//   (a fee per 1000 requests: one request counts 1).
// - A tiered price (`{ base, tiers: [{ start, price }] }`) charges every token of its leaf at the
//   price of the highest tier whose `start` the request's total input tokens exceed.
// - Input and output prices are summed separately, in the order of the model's price keys, then added.
// - A model with dated or time-of-day prices picks the entry in force at the request's time, scanning
//   from the last entry to the first.

import type { ConditionalPrice, ModelInfo, ModelPrice } from '@pydantic/genai-prices';

/** The token counts a request is priced by (core/events.ts Usage, OpenAI semantics). */
export interface PricedUsage {
  /** All prompt tokens, cache reads and writes included. */
  inputTokens: number;
  /** All output tokens, reasoning included. */
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

type Leaf = 'input' | 'cacheRead' | 'cacheWrite' | 'output' | 'reasoning' | 'requests';

interface Tiered {
  base: number;
  tiers: Array<{ start: number; price: number }>;
}

interface Term {
  leaf: Leaf;
  per: number;
  direction: 'input' | 'output' | 'other';
  flat: number;
  /** Set for tiered prices (then `flat` is unused). */
  tiered?: Tiered;
}

/** The price keys sluice has usage for; any other key (audio, images, searches…) meets zero usage. */
const UNITS: Readonly<Record<string, { leaf: Leaf; per: number; direction: Term['direction'] }>> = {
  input_mtok: { leaf: 'input', per: 1e6, direction: 'input' },
  cache_read_mtok: { leaf: 'cacheRead', per: 1e6, direction: 'input' },
  cache_write_mtok: { leaf: 'cacheWrite', per: 1e6, direction: 'input' },
  output_mtok: { leaf: 'output', per: 1e6, direction: 'output' },
  output_reasoning_mtok: { leaf: 'reasoning', per: 1e6, direction: 'output' },
  requests_kcount: { leaf: 'requests', per: 1e3, direction: 'other' },
};

export interface CompiledPrice {
  readonly terms: readonly Term[];
  readonly splitsCacheRead: boolean;
  readonly splitsCacheWrite: boolean;
  readonly splitsReasoning: boolean;
  readonly tiered: boolean;
}

export function compilePrice(price: ModelPrice): CompiledPrice {
  const terms: Term[] = [];
  for (const [key, value] of Object.entries(price)) {
    const unit = UNITS[key];
    if (unit === undefined || value === undefined) continue;
    if (typeof value === 'number') terms.push({ ...unit, flat: value });
    else {
      const tiers = [...value.tiers].sort((a, b) => a.start - b.start).map((t) => ({ start: t.start, price: t.price }));
      terms.push({ ...unit, flat: 0, tiered: { base: value.base, tiers } });
    }
  }
  const has = (leaf: Leaf): boolean => terms.some((t) => t.leaf === leaf);
  return {
    terms,
    splitsCacheRead: has('cacheRead'),
    splitsCacheWrite: has('cacheWrite'),
    splitsReasoning: has('reasoning'),
    tiered: terms.some((t) => t.tiered !== undefined),
  };
}

/** USD for one request. Counts a misbehaving upstream reports inconsistently are clamped, never negative. */
export function applyPrice(p: CompiledPrice, usage: PricedUsage): number {
  const input = nonNegative(usage.inputTokens);
  const output = nonNegative(usage.outputTokens);
  const cacheRead = p.splitsCacheRead ? Math.min(nonNegative(usage.cacheReadTokens), input) : 0;
  const cacheWrite = p.splitsCacheWrite ? Math.min(nonNegative(usage.cacheWriteTokens), input - cacheRead) : 0;
  const reasoning = p.splitsReasoning ? Math.min(nonNegative(usage.reasoningTokens), output) : 0;
  let inputUsd = 0;
  let outputUsd = 0;
  let otherUsd = 0;
  for (const t of p.terms) {
    let n: number;
    switch (t.leaf) {
      case 'input':
        n = input - (cacheRead + cacheWrite);
        break;
      case 'cacheRead':
        n = cacheRead;
        break;
      case 'cacheWrite':
        n = cacheWrite;
        break;
      case 'output':
        n = output - reasoning;
        break;
      case 'reasoning':
        n = reasoning;
        break;
      case 'requests':
        n = 1;
        break;
    }
    let usd: number;
    if (t.tiered === undefined) usd = (t.flat * n) / t.per;
    else usd = n <= 0 ? 0 : ((tierPrice(t.tiered, input) * n) / 1e6) * 1e6 / t.per;
    if (t.direction === 'input') inputUsd += usd;
    else if (t.direction === 'output') outputUsd += usd;
    else otherUsd += usd;
  }
  return inputUsd + outputUsd + otherUsd;
}

function tierPrice(t: Tiered, inputTokens: number): number {
  let price = t.base;
  for (const tier of t.tiers) if (inputTokens > tier.start) price = tier.price;
  return price;
}

function nonNegative(n: number | undefined): number {
  return n !== undefined && n > 0 && Number.isFinite(n) ? n : 0;
}

/** A catalog model's prices, compiled once per price entry; `at` picks the entry in force. */
export class ModelPrices {
  private readonly plain?: CompiledPrice;
  private readonly conditional?: Array<{ when: ConditionalPrice['constraint']; price: CompiledPrice }>;

  constructor(model: Pick<ModelInfo, 'prices'>) {
    if (Array.isArray(model.prices)) {
      this.conditional = model.prices.map((c) => ({ when: c.constraint, price: compilePrice(c.prices) }));
    } else {
      this.plain = compilePrice(model.prices);
    }
  }

  at(time: Date | number): CompiledPrice {
    if (this.plain) return this.plain;
    const list = this.conditional!;
    const t = typeof time === 'number' ? time : time.getTime();
    for (let i = list.length - 1; i >= 0; i--) {
      const { when, price } = list[i]!;
      if (when === undefined) return price;
      if (when.type === 'start_date') {
        if (t >= Date.parse(when.start_date)) return price;
      } else if (inTimeWindow(t, when.start_time, when.end_time)) return price;
    }
    return list[0]!.price;
  }
}

/** Time-of-day windows (UTC seconds since midnight; a window may wrap past midnight). */
function inTimeWindow(t: number, start: string, end: string): boolean {
  const d = new Date(t);
  const now = d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds() + d.getUTCMilliseconds() / 1000;
  const s = secondsOfDay(start);
  const e = secondsOfDay(end);
  return e < s ? now >= s || now < e : now >= s && now < e;
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` as UTC seconds since midnight. */
function secondsOfDay(text: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return 0;
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? ''}`);
  const offset = m[5] === 'Z' ? 0 : (m[6] === '+' ? 1 : -1) * (Number(m[7]) * 60 + Number(m[8])) * 60;
  return (local - offset + 86400) % 86400;
}
