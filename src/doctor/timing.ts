// Pacing analysis: did events arrive spread out as they were sent, or held back and released in a
// burst (a buffering hop)? Only relative times are compared, so the skew between the doctor's clock
// and the gateway's cancels out: an event's delivery delay is (arrival − sent_at) minus the smallest
// such delay of the stream.

/** Arrival gaps below this belong to one delivery (one flush of a buffer, a few TCP reads). */
const SAME_DELIVERY_MS = 5;

export interface SentSample {
  sentAt: number;
  at: number;
}

export type DebugVerdict = 'spread' | 'partly-held' | 'burst';

export interface DebugTiming {
  events: number;
  intervalMs: number;
  /** An event delivered this much later than the promptest one counts as held back. */
  heldThresholdMs: number;
  held: number;
  maxHoldMs: number;
  sentSpanMs: number;
  arrivalSpanMs: number;
  /** Separate deliveries the events came in (1 = everything at once). */
  deliveries: number;
  verdict: DebugVerdict;
}

/** The /debug/stream test: events carry their server send time, `intervalMs` apart. */
export function analyseDebugTiming(samples: SentSample[], intervalMs: number): DebugTiming {
  const heldThresholdMs = Math.max(100, intervalMs / 2);
  let minDelay = Infinity;
  for (const s of samples) minDelay = Math.min(minDelay, s.at - s.sentAt);
  let held = 0;
  let maxHoldMs = 0;
  for (const s of samples) {
    const hold = s.at - s.sentAt - minDelay;
    if (hold > heldThresholdMs) held++;
    maxHoldMs = Math.max(maxHoldMs, hold);
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const heldForBurst = Math.max(2, Math.ceil(samples.length / 3));
  return {
    events: samples.length,
    intervalMs,
    heldThresholdMs,
    held,
    maxHoldMs: Math.round(maxHoldMs),
    sentSpanMs: first && last ? Math.round(last.sentAt - first.sentAt) : 0,
    arrivalSpanMs: first && last ? Math.round(last.at - first.at) : 0,
    deliveries: countDeliveries(samples.map((s) => s.at)),
    // One late event is network or scheduling jitter; a buffering hop holds back several.
    verdict: held <= 1 ? 'spread' : held >= heldForBurst ? 'burst' : 'partly-held',
  };
}

export type SpreadVerdict = 'spread' | 'burst' | 'clustered' | 'too-fast' | 'too-few';

export interface ArrivalSpread {
  events: number;
  /** From sending the request to the first event. */
  firstEventMs: number;
  /** From the first to the last event. */
  streamMs: number;
  /** From sending the request to the last event. */
  totalMs: number;
  /** The span that holds the last 90% of the events. */
  tailWindowMs: number;
  medianGapMs: number;
  deliveries: number;
  verdict: SpreadVerdict;
}

const MIN_EVENTS = 5;
/** A stream shorter than this cannot be told apart from one delivered at once. */
const MIN_JUDGEABLE_MS = 100;
/** Only a stream that took at least this long, yet arrived in a few ms, is called buffered. */
const MIN_BURST_TOTAL_MS = 500;

/**
 * A real chat stream, where send times are unknown. Models stream tens of ms apart (the demo model
 * ~25 ms), so the stream is called buffered only when nearly all events arrive within a few ms at the
 * very end of a response that took long; a stream too quick to tell is reported as such.
 */
export function analyseArrivals(arrivals: number[], requestStartedAt: number): ArrivalSpread {
  const n = arrivals.length;
  const first = arrivals[0] ?? requestStartedAt;
  const last = arrivals[n - 1] ?? requestStartedAt;
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(arrivals[i]! - arrivals[i - 1]!);
  gaps.sort((a, b) => a - b);
  const tailStart = arrivals[Math.floor(n * 0.1)] ?? first;
  const spread: ArrivalSpread = {
    events: n,
    firstEventMs: Math.round(first - requestStartedAt),
    streamMs: Math.round(last - first),
    totalMs: Math.round(last - requestStartedAt),
    tailWindowMs: Math.round(last - tailStart),
    medianGapMs: Math.round((gaps[Math.floor(gaps.length / 2)] ?? 0) * 10) / 10,
    deliveries: countDeliveries(arrivals),
    verdict: 'spread',
  };
  if (n < MIN_EVENTS) spread.verdict = 'too-few';
  else if (spread.totalMs >= MIN_BURST_TOTAL_MS && spread.tailWindowMs <= Math.max(25, spread.totalMs * 0.05)) spread.verdict = 'burst';
  else if (spread.streamMs < MIN_JUDGEABLE_MS) spread.verdict = 'too-fast';
  else if (n >= 10 && spread.streamMs >= MIN_BURST_TOTAL_MS && spread.deliveries <= Math.max(2, n / 10)) spread.verdict = 'clustered';
  return spread;
}

function countDeliveries(arrivals: number[]): number {
  if (arrivals.length === 0) return 0;
  let deliveries = 1;
  for (let i = 1; i < arrivals.length; i++) if (arrivals[i]! - arrivals[i - 1]! > SAME_DELIVERY_MS) deliveries++;
  return deliveries;
}
