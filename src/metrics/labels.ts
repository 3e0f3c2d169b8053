// Label values for request metrics. Every Prometheus label value creates a time series that lives
// until the process ends, so values that clients choose must be bounded: a model name a client made
// up (answered 404) becomes "(unknown)", and once a label has seen `limit` distinct values, new ones
// become "(other)". Values are names only — model, `provider/model`, front, status, error code —
// never keys, URLs or messages (SPEC §5).

import type { RequestRecord } from '../gateway/pipeline.ts';

export const UNKNOWN = '(unknown)';
export const OTHER = '(other)';
export const NONE = '(none)';

/** Admits at most `limit` distinct values; later newcomers map to "(other)". */
export class LabelCap {
  private readonly seen = new Set<string>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(v);
    return v;
  }
}

export interface RecordLabels {
  model: string;
  target: string;
}

/**
 * The model and target labels of a record. A 404 for a name the gateway does not route by itself
 * — rejected before any target (router: model_not_found), or a `provider/model` the client typed
 * that the upstream does not know — is the client's invention, not a model of this gateway.
 * A configured model whose upstream answers 404 keeps its name: that is a misconfiguration worth
 * seeing.
 */
export function recordLabels(r: RequestRecord, models: LabelCap, targets: LabelCap): RecordLabels {
  const invented = r.status === 404 && (r.target === undefined || r.target === r.model);
  if (invented) return { model: UNKNOWN, target: r.target === undefined ? NONE : UNKNOWN };
  return {
    model: r.model === '' ? NONE : models.value(r.model),
    target: r.target === undefined ? NONE : targets.value(r.target),
  };
}
