// Wires metrics into the app options that startServices builds: the metric hooks run beside any
// hooks already there (each existing hook is still called, first), and GET /metrics is mounted.
// A wrapper, not an intrusion (docs/style.md): the pipeline and the app know nothing of Prometheus.

import type { PipelineHooks } from '../gateway/pipeline.ts';
import type { AppOptions } from '../server/app.ts';
import { createMetrics, type Metrics, type MetricsOptions } from './index.ts';

export function attachMetrics(appOptions: AppOptions, opts: MetricsOptions = {}): AppOptions {
  return attachMetricsTo(appOptions, createMetrics(opts)).appOptions;
}

/** As attachMetrics, for callers (tests) that also want the registry. */
export function attachMetricsTo(appOptions: AppOptions, metrics: Metrics): { appOptions: AppOptions; metrics: Metrics } {
  return {
    metrics,
    appOptions: {
      ...appOptions,
      hooks: mergeHooks(appOptions.hooks ?? {}, metrics.hooks),
      routes: { ...appOptions.routes, '/metrics': metrics.handler },
    },
  };
}

/** Both hook sets, `first` before `second`; a hook present in only one is used as is (no wrapper cost). */
export function mergeHooks(first: PipelineHooks, second: PipelineHooks): PipelineHooks {
  return {
    ...second,
    ...first,
    onRecord: chain(first.onRecord, second.onRecord),
    onAttemptError: chain(first.onAttemptError, second.onAttemptError),
    onStreamOpen: chain(first.onStreamOpen, second.onStreamOpen),
    onStreamClose: chain(first.onStreamClose, second.onStreamClose),
    // Spread arguments, so a pipeline that passes extra ones (the front) reaches both.
    onClientEvent: chain(first.onClientEvent, second.onClientEvent),
    onContinuation: chain(first.onContinuation, second.onContinuation),
    onTap: chain(first.onTap, second.onTap),
    tap: first.tap === undefined ? second.tap : second.tap === undefined ? first.tap : Math.max(first.tap, second.tap),
  };
}

function chain<A extends unknown[]>(a: ((...args: A) => void) | undefined, b: ((...args: A) => void) | undefined): ((...args: A) => void) | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (...args: A) => {
    a(...args);
    b(...args);
  };
}
