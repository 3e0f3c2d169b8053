// A Prometheus histogram with one label, for the per-event path (the gap between events sent to a
// client). prom-client's Histogram allocates a labels object and builds a hash string on every
// observe (~250 ns); this one increments a preallocated bucket array (~5 ns), and turns the counts
// into prom-client's exposition shape only when /metrics is scraped. It registers in a prom-client
// Registry like any other metric, so the text format, escaping and content type stay prom-client's.

import type { Metric, Registry } from 'prom-client';

/** The observe function of one label value; call it with seconds. */
export interface HistogramSeries {
  observe(seconds: number): void;
}

interface SampleValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export interface FastHistogramOptions {
  name: string;
  help: string;
  labelName: string;
  /** Upper bounds in seconds, strictly increasing; +Inf is implicit. */
  buckets: readonly number[];
  registers: Registry[];
}

class Series implements HistogramSeries {
  readonly labelValue: string;
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(labelValue: string, bounds: readonly number[]) {
    this.labelValue = labelValue;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  // Arrow property so callers may pass `series.observe` around unbound.
  observe = (seconds: number): void => {
    if (!(seconds >= 0)) return; // NaN or a clock step backwards: not a gap worth recording
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  };
}

export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  /** How prom-client's AggregatorRegistry combines workers: sums, as for its own histograms. */
  readonly aggregator = 'sum' as const;
  private readonly labelName: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(opts: FastHistogramOptions) {
    for (let i = 1; i < opts.buckets.length; i++) {
      if (!(opts.buckets[i]! > opts.buckets[i - 1]!)) throw new Error(`${opts.name}: buckets must increase`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelName = opts.labelName;
    this.bounds = [...opts.buckets];
    // prom-client's registry is duck-typed (it calls get() and reset()); its TypeScript type names
    // only its own classes, hence the cast.
    for (const r of opts.registers) r.registerMetric(this as unknown as Metric);
  }

  /** The series for one label value, created on first use and kept: hold on to it on hot paths. */
  labels(value: string): HistogramSeries {
    let s = this.series.get(value);
    if (!s) {
      s = new Series(value, this.bounds);
      this.series.set(value, s);
    }
    return s;
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  /** prom-client's MetricObjectWithValues: cumulative `_bucket` samples, then `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: SampleValue[] }> {
    const values: SampleValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ value: cumulative, labels: { [this.labelName]: s.labelValue, le: this.bounds[i]! }, metricName: bucketName });
      }
      values.push({ value: s.count, labels: { [this.labelName]: s.labelValue, le: '+Inf' }, metricName: bucketName });
      values.push({ value: s.sum, labels: { [this.labelName]: s.labelValue }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { [this.labelName]: s.labelValue }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
