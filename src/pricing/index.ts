// Cost per request (SPEC §12, docs/pricing.md). A target (`provider/model`) is resolved to a price
// once — a `pricing:` override, else the catalog — and the compiled price is cached, so pricing a
// request is a Map lookup and a few multiplications (bench/pricing.ts).
//
// Overrides are looked up as `provider/model`, then `provider/*`, then the upstream model name; an
// override replaces the catalog's price for that model entirely. The built-in demo provider is free.

import type { ModelPrice } from '@pydantic/genai-prices';
import type { ModelPricing, ProviderConfig } from '../config/types.ts';
import { findInCatalog } from './catalog.ts';
import { ModelPrices, applyPrice, compilePrice, type CompiledPrice, type PricedUsage } from './compile.ts';

export type { PricedUsage } from './compile.ts';

export type PriceSource = 'pricing' | 'catalog' | 'free';

export interface ResolvedPrice {
  source: PriceSource;
  /** The catalog's provider and model ids (source 'catalog'), or the matching `pricing:` key. */
  matched: string;
}

interface Entry {
  prices: ModelPrices | CompiledPrice;
  resolved: ResolvedPrice;
}

export interface PricerOptions {
  /** Called once per target that has no price (its requests cost nothing and count $0 toward budgets). */
  onUnpriced?(target: string): void;
}

export class Pricer {
  private readonly providers: Readonly<Record<string, Pick<ProviderConfig, 'type' | 'baseUrl'>>>;
  private readonly overrides: Readonly<Record<string, ModelPricing>>;
  private readonly cache = new Map<string, Entry | null>();
  private readonly onUnpriced?: (target: string) => void;

  constructor(
    config: { providers: Readonly<Record<string, Pick<ProviderConfig, 'type' | 'baseUrl'>>>; pricing: Readonly<Record<string, ModelPricing>> },
    opts: PricerOptions = {},
  ) {
    this.providers = config.providers;
    this.overrides = config.pricing;
    this.onUnpriced = opts.onUnpriced;
  }

  /**
   * USD for one request that `target` (`provider/model`, as in logs and metrics) served with this
   * usage; undefined when neither `pricing:` nor the catalog knows the model.
   */
  cost(target: string, usage: PricedUsage, at: number = Date.now()): number | undefined {
    let entry = this.cache.get(target);
    if (entry === undefined) entry = this.resolve(target);
    if (entry === null) return undefined;
    const compiled = entry.prices instanceof ModelPrices ? entry.prices.at(at) : entry.prices;
    return applyPrice(compiled, usage);
  }

  /** Where the price of a target comes from (for `sluice check`, docs and tests); undefined: unpriced. */
  describe(target: string): ResolvedPrice | undefined {
    let entry = this.cache.get(target);
    if (entry === undefined) entry = this.resolve(target);
    return entry?.resolved;
  }

  private resolve(target: string): Entry | null {
    const slash = target.indexOf('/');
    const providerName = slash < 0 ? '' : target.slice(0, slash);
    const model = slash < 0 ? target : target.slice(slash + 1);
    const provider = Object.hasOwn(this.providers, providerName) ? this.providers[providerName] : undefined;
    let entry: Entry | null = null;
    const key = [target, `${providerName}/*`, model].find((k) => Object.hasOwn(this.overrides, k));
    if (key !== undefined) {
      entry = { prices: compilePrice(overridePrice(this.overrides[key]!)), resolved: { source: 'pricing', matched: key } };
    } else if (provider?.type === 'demo') {
      entry = { prices: compilePrice({}), resolved: { source: 'free', matched: 'demo' } };
    } else if (provider) {
      const hit = findInCatalog(provider.type, provider.baseUrl, model);
      if (hit) entry = { prices: new ModelPrices(hit.model), resolved: { source: 'catalog', matched: `${hit.provider.id}/${hit.model.id}` } };
    }
    this.cache.set(target, entry);
    if (entry === null) this.onUnpriced?.(target);
    return entry;
  }
}

/** A `pricing:` entry in the catalog's own terms, so both are priced by the same arithmetic. */
export function overridePrice(p: ModelPricing): ModelPrice {
  const price: ModelPrice = { input_mtok: p.input };
  if (p.cachedInput !== undefined) price.cache_read_mtok = p.cachedInput;
  if (p.cacheWrite !== undefined) price.cache_write_mtok = p.cacheWrite;
  price.output_mtok = p.output;
  if (p.reasoning !== undefined) price.output_reasoning_mtok = p.reasoning;
  if (p.request !== undefined) price.requests_kcount = p.request * 1000;
  return price;
}
