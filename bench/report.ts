// Turns the measurements into the tables `npm run bench` prints and bench/RESULTS.md keeps: absolute
// figures, ratios to the bare Node pass-through (cost) and to direct (added latency), and the issue 6
// targets, each marked met or not.

import type { Measurements } from './scenarios.ts';
import type { WorkersResult } from './workers.ts';
import { percentile } from './lib.ts';
import { largeBodySection, type LargeBodyResult } from './large-body.ts';

export interface Row {
  name: string;
  version: string;
  /** Undefined when the contender could not be measured; `skipped` says why. */
  m?: Measurements;
  skipped?: string;
}

const SAME = 'sluice openai→openai';
const TRANSLATED = [
  'sluice anthropic→openai',
  'sluice openai→anthropic',
  'sluice responses→openai',
  'sluice responses→anthropic',
  'sluice responses→responses',
  'sluice cohere→openai',
  'sluice gemini→openai',
  'sluice gemini→anthropic',
];
const SLUICE = [SAME, ...TRANSLATED];

function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  return n.toFixed(digits);
}

function signed(n: number | undefined, digits = 2): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return `${n >= 0 ? '+' : ''}${fmt(n, digits)}`;
}

export function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

function find(rows: Row[], name: string): Measurements | undefined {
  return rows.find((r) => r.name === name)?.m;
}

/**
 * A contender's ratio to the bare proxy: the median of its paired rounds with the reference bare
 * proxy when the run had one (scenarios.ts, throughput), else the ratio of the medians.
 */
function vsBare(paired: number | undefined, own: number | undefined, bare: number | undefined): number | undefined {
  if (paired !== undefined && Number.isFinite(paired)) return paired;
  return own !== undefined && bare !== undefined && bare > 0 ? own / bare : undefined;
}

function times(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : `${fmt(n)}×`;
}

export function costTable(rows: Row[]): string {
  const bare = find(rows, 'bare node proxy');
  const measured = rows.filter((r) => r.m);
  return table(
    ['contender', 'streams/s', '×bare', 'CPU ms/stream', '×bare', 'paced: CPU ms/stream', '×bare', 'requests/s', 'CPU ms/request', '×bare'],
    measured.map((r) => {
      const m = r.m!;
      return [
        r.name,
        fmt(m.streams?.perSec, 0),
        times(vsBare(m.streams?.perSecVsBare, m.streams?.perSec, bare?.streams?.perSec)),
        fmt(m.streams?.cpuMs, 3),
        times(vsBare(m.streams?.cpuVsBare, m.streams?.cpuMs, bare?.streams?.cpuMs)),
        fmt(m.pacedStreams?.cpuMs, 3),
        times(vsBare(m.pacedStreams?.cpuVsBare, m.pacedStreams?.cpuMs, bare?.pacedStreams?.cpuMs)),
        fmt(m.requests?.perSec, 0),
        fmt(m.requests?.cpuMs, 3),
        times(vsBare(m.requests?.cpuVsBare, m.requests?.cpuMs, bare?.requests?.cpuMs)),
      ];
    }),
  );
}

export function latencyTable(rows: Row[]): string {
  const direct = find(rows, 'direct (mock)');
  return table(
    ['contender', 'TTFE p50 / p99 ms', 'added TTFE p50', 'event delay p50 / p99 ms', 'added delay p50 / p99'],
    rows
      .filter((r) => r.m)
      .map((r) => {
        const m = r.m!;
        const isDirect = m === direct;
        return [
          r.name,
          `${fmt(m.ttfe?.p50)} / ${fmt(m.ttfe?.p99)}`,
          isDirect ? '—' : signed((m.ttfe?.p50 ?? NaN) - (direct?.ttfe?.p50 ?? NaN)),
          `${fmt(m.delay?.p50, 3)} / ${fmt(m.delay?.p99, 3)}`,
          isDirect ? '—' : `${signed((m.delay?.p50 ?? NaN) - (direct?.delay?.p50 ?? NaN), 3)} / ${signed((m.delay?.p99 ?? NaN) - (direct?.delay?.p99 ?? NaN), 3)}`,
        ];
      }),
  );
}

export function memoryTable(rows: Row[]): string {
  const anyLong = rows.find((r) => r.m?.long)?.m?.long;
  const k = (n: number | undefined, name: string): string => (n === undefined ? name : n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  const short = k(anyLong?.short, 'short');
  const long = k(anyLong?.long, 'long');
  const longest = k(anyLong?.longest, 'longest');
  return table(
    [
      'contender',
      'KB / held stream',
      '1 MB event ms, peak MB',
      '10 MB event ms, peak MB',
      `µs/event ${short} / ${long} / ${longest} (${long}÷${short})`,
      `peak MB ${short} / ${long} / ${longest}`,
    ],
    rows
      .filter((r) => r.m)
      .map((r) => {
        const m = r.m!;
        return [
          r.name,
          m.held ? `${fmt(m.held.kbPerStream, 1)} (${m.held.streams})` : '—',
          m.big ? `${fmt(m.big.ms1, 1)}, ${fmt(m.big.peakMb1, 1)}` : '—',
          m.big ? `${fmt(m.big.ms10, 1)}, ${fmt(m.big.peakMb10, 1)}` : '—',
          m.long ? `${fmt(m.long.usShort)} / ${fmt(m.long.usLong)} / ${fmt(m.long.usLongest)} (${fmt(m.long.usLong / m.long.usShort)})` : '—',
          m.long ? `${fmt(m.long.peakMbShort, 1)} / ${fmt(m.long.peakMbLong, 1)} / ${fmt(m.long.peakMbLongest, 1)}` : '—',
        ];
      }),
  );
}

interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The issue 6 targets, evaluated on this run. `undefined` = could not be evaluated (a contender missing). */
export function targets(rows: Row[]): Target[] {
  const bare = find(rows, 'bare node proxy');
  const direct = find(rows, 'direct (mock)');
  const same = find(rows, SAME);
  const out: Target[] = [];
  const check = (target: string, value: number | undefined, limit: number, unit: string, atMost = true): void => {
    const ok = value === undefined || !Number.isFinite(value) ? undefined : atMost ? value <= limit : value >= limit;
    out.push({ target, measured: `${fmt(value, unit === '×' ? 2 : 3)}${unit}`, met: ok });
  };
  const div = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

  const cpuVsBare = (m: Measurements | undefined): number | undefined => vsBare(m?.streams?.cpuVsBare, m?.streams?.cpuMs, bare?.streams?.cpuMs);
  check('same-protocol CPU per stream ≤ 1.3× bare', cpuVsBare(same), 1.3, '×');
  check('same-protocol streams/s ≥ 0.75× bare', vsBare(same?.streams?.perSecVsBare, same?.streams?.perSec, bare?.streams?.perSec), 0.75, '×', false);
  for (const name of TRANSLATED) check(`${name.slice(7)} CPU per stream ≤ 2.5× bare`, cpuVsBare(find(rows, name)), 2.5, '×');
  // Both sides against the same reference, so the machine's drift between their runs cancels too.
  check('Portkey CPU per stream ≥ 4× sluice openai→openai', div(cpuVsBare(find(rows, 'portkey openai→openai')), cpuVsBare(same)), 4, '×', false);
  check(
    'claude-code-router CPU per stream ≥ 4× sluice anthropic→openai',
    div(cpuVsBare(find(rows, 'claude-code-router anthropic→openai')), cpuVsBare(find(rows, TRANSLATED[0]!))),
    4,
    '×',
    false,
  );
  for (const name of SLUICE) {
    const m = find(rows, name);
    const short = name.slice(7);
    check(`${short} added TTFE p50 ≤ 1 ms`, sub(m?.ttfe?.p50, direct?.ttfe?.p50), 1, ' ms');
    check(`${short} added per-event delay p50 ≤ 0.3 ms`, sub(m?.delay?.p50, direct?.delay?.p50), 0.3, ' ms');
    check(`${short} added per-event delay p99 ≤ 2 ms`, sub(m?.delay?.p99, direct?.delay?.p99), 2, ' ms');
    check(`${short} memory per held stream ≤ 45 KB`, m?.held?.kbPerStream, 45, ' KB');
    // Linear time: the cost per byte (per event) of the large case within 1.25× of the small one.
    check(`${short} 10 MB event: time per MB ≤ 1.25× the 1 MB event's`, m?.big ? m.big.ms10 / 10 / m.big.ms1 : undefined, 1.25, '×');
    check(`${short} long stream: µs per event, long ≤ 1.25× short`, m?.long ? m.long.usLong / m.long.usShort : undefined, 1.25, '×');
    // Flat memory: the longest stream (10× the long one) needs no more at its peak than the shorter
    // ones, within GC noise. Anything that grew with the stream would show by hundreds of MB here.
    check(
      `${short} longest stream: peak RSS − the shorter streams' peak ≤ 8 MB`,
      m?.long ? m.long.peakMbLongest - Math.max(m.long.peakMbShort, m.long.peakMbLong) : undefined,
      8,
      ' MB',
    );
  }
  return out;
}

function sub(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined ? a - b : undefined;
}

export function targetTable(rows: Row[]): string {
  return table(
    ['target', 'measured', 'met'],
    targets(rows).map((t) => [t.target, t.measured, t.met === undefined ? 'n/a' : t.met ? 'yes' : 'NO']),
  );
}

export function skippedLines(rows: Row[]): string[] {
  return rows.filter((r) => r.skipped).map((r) => `- ${r.name}: not measured — ${r.skipped}`);
}

export function noteLines(rows: Row[]): string[] {
  return rows.flatMap((r) => (r.m?.notes ?? []).map((n) => `- ${r.name}: ${n}`));
}

export function versionLines(rows: Row[]): string[] {
  return rows.filter((r) => !r.skipped).map((r) => `- ${r.name}: ${r.version}`);
}

/** sluice with one worker and with one per CPU; the cost of exact cross-worker limits (bench/workers.ts). */
export function workersSection(w: WorkersResult): string[] {
  const one = w.rows.find((r) => r.name.endsWith('workers:1'));
  const auto = w.rows.find((r) => r.name.endsWith('workers:auto'));
  const limited = w.rows.find((r) => r.name.endsWith('limited key'));
  const separate = w.rows.find((r) => r.name.includes('separate processes'));
  const lines = w.rows.map((r) => [
    r.name,
    String(r.workers),
    fmt(r.perSec, 0),
    one && r !== one ? times(r.perSec / one.perSec) : '1.00×',
    fmt(r.cpuMs, 3),
    fmt(r.clientCpuMs, 3),
    r.failed > 0 ? String(r.failed) : '0',
  ]);
  const out = [
    '### Workers: one process, and one per CPU',
    '',
    `50-event streams, 8 in flight, from bench/lean-load.ts's raw-socket client to its canned upstream; ${w.pinned}. CPU: sluice's primary and workers together; client: the load generator and the upstream.`,
    '',
    table(['contender', 'workers', 'streams/s', '×workers:1', 'CPU ms/stream', 'client CPU ms/stream', 'failed'], lines),
  ];
  if (w.limitsPairs.length > 0) {
    const cost = (percentile(w.limitsPairs, 50) - 1) * 100;
    const range = `${signed((Math.min(...w.limitsPairs) - 1) * 100, 1)}% to ${signed((Math.max(...w.limitsPairs) - 1) * 100, 1)}%`;
    out.push(
      '',
      `Exact cross-worker limits (rpm, tpm and concurrency, far from reached: decided from the workers' allowances): ${signed(cost, 1)}% CPU per stream (target ≤ 10%), the median of ${w.limitsPairs.length} pairs of alternating rounds on the auto gateway, the limited key's over the open key's (pairs ${range}).`,
    );
  } else if (auto && limited && Number.isFinite(auto.cpuMs) && Number.isFinite(limited.cpuMs)) {
    const cost = ((limited.cpuMs - auto.cpuMs) / auto.cpuMs) * 100;
    out.push('', `Exact cross-worker limits (rpm, tpm and concurrency, far from reached: decided from the workers' allowances): ${signed(cost, 1)}% CPU per stream (target ≤ 10%).`);
  }
  if (one && auto) {
    // What the machine allows at auto's CPU per stream: every CPU busy with sluice and the client.
    const ceiling = (w.cpus * 1000) / (auto.cpuMs + auto.clientCpuMs) / one.perSec;
    out.push(
      `workers:auto streams/s: ${times(auto.perSec / one.perSec)} of workers:1 (target ≥ 1.7×); the ceiling on this machine at auto's CPU per stream, ${w.cpus} CPUs ÷ (sluice + client), is ${times(ceiling)}.`,
    );
    if (separate) {
      out.push(
        `Separate processes without a cluster: ${times(separate.perSec / one.perSec)} of workers:1 at ${fmt(separate.cpuMs, 3)} ms CPU per stream (workers:1 ${fmt(one.cpuMs, 3)}, auto ${fmt(auto.cpuMs, 3)}): what one busy process per CPU costs on this machine, cluster or not.`,
      );
    }
  }
  for (const n of w.notes) out.push(`- ${n}`);
  return out;
}

/**
 * Issue 14: sluice's same-protocol CPU per stream as a multiple of the leanest Node pass-through's
 * (and of the undici dispatch row's), and Portkey's as a multiple of sluice's. Each side is taken
 * against the reference bare proxy's paired rounds, so the machine's drift between their runs cancels.
 */
function leanestLines(rows: Row[]): string[] {
  const bare = find(rows, 'bare node proxy');
  const cpu = (name: string): number | undefined => {
    const m = find(rows, name);
    return vsBare(m?.streams?.cpuVsBare, m?.streams?.cpuMs, bare?.streams?.cpuMs);
  };
  const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const out: string[] = [];
  for (const [name, what] of [
    ['undici Pool.stream pass-through', 'the leanest Node pass-through (undici Pool.stream)'],
    ['undici pass-through', 'the undici dispatch pass-through'],
  ] as const) {
    const r = ratio(cpu(SAME), cpu(name));
    if (r !== undefined) out.push(`- ${SAME}: ${times(r)} the CPU per stream of ${what}`);
  }
  const portkey = ratio(cpu('portkey openai→openai'), cpu(SAME));
  if (portkey !== undefined) out.push(`- portkey openai→openai: ${times(portkey)} the CPU per stream of ${SAME}`);
  return out.length ? ['', ...out] : [];
}

/** Everything the run prints, as markdown. */
export function renderReport(rows: Row[], header: string[], workers?: WorkersResult, large: LargeBodyResult[] = []): string {
  const parts = [
    ...header,
    '',
    '### Cost: CPU of the contender\'s processes per stream or request (user + system, from /proc)',
    '',
    '50 events per stream, 8 in flight, sent by the mock all at once; paced: 50 events 1 ms apart, 32 in flight (one',
    'upstream read and one client write per event, as a model streams). ×bare: the median of per-round ratios to a',
    'reference bare proxy, started and warmed afresh for each contender and measured in alternation with it.',
    'Each contender\'s throughput, latency and big events run on a fresh process; its held streams on another.',
    '',
    costTable(rows),
    ...leanestLines(rows),
    '',
    '### Latency: time to first content event (5-chunk stream, sequential) and per-event delay on a 20 ms-spaced stream',
    '',
    latencyTable(rows),
    '',
    '### Memory and large streams',
    '',
    memoryTable(rows),
    '',
    '### Issue 6 targets',
    '',
    targetTable(rows),
  ];
  if (workers) parts.push('', ...workersSection(workers));
  if (large.length > 0) parts.push('', ...largeBodySection(large));
  const skipped = skippedLines(rows);
  if (skipped.length) parts.push('', '### Not measured', '', ...skipped);
  const notes = noteLines(rows);
  if (notes.length) parts.push('', '### Notes', '', ...notes);
  return parts.join('\n');
}
