// `node bench/profile.ts [ROUTE] [DIRECTIVES]`: where sluice's CPU goes, in steady state. Starts
// `sluice mock` and sluice (with --cpu-prof), warms up, drives 8 concurrent streams, then prints the
// functions with the most self time and the sluice stages with the most inclusive time, counting only
// samples after the warm-up. ROUTE: openai (default), anthropic-openai, openai-anthropic.
// DIRECTIVES: mock directives, default `chunks=50`. PROFILE_KEEP=FILE keeps the .cpuprofile;
// PROFILE_LINES (30) sets how many sluice functions the inclusive list shows; PROFILE_CONFIG is YAML
// appended to sluice's config; PROFILE_TRACING=1 starts bench/otlp-sink.ts and exports traces to it.
// Loopback only; bounded by counts and deadlines.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, mockText, pool, type Endpoint } from './client.ts';
import { anthropic, ENTRY, NODE, openai, startMockProcess } from './contender.ts';
import { startChild, treeCpuSeconds, type Child } from './lib.ts';

const route = process.argv[2] ?? 'openai';
const directives = process.argv[3] ?? 'chunks=50';
const WARMUP = 16_000;
const MEASURED = 4000;
/** How many sluice functions the inclusive list shows (PROFILE_LINES). */
const LINES = Number(process.env.PROFILE_LINES ?? 30);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-profile-'));
  const mock = await startMockProcess();
  let sink: Child | undefined;
  try {
    let extra = process.env.PROFILE_CONFIG ?? '';
    if (process.env.PROFILE_TRACING === '1') {
      sink = await startChild(NODE, [new URL('./otlp-sink.ts', import.meta.url).pathname], /otlp sink on http:\/\/127\.0\.0\.1:(\d+)/);
      extra += `\ntelemetry:\n  otlp: { endpoint: "http://127.0.0.1:${sink.port}" }\n`;
    }
    const config = join(dir, 'sluice.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, 'sluice.db')}\nproviders:\n  mock: { type: openai, base_url: http://127.0.0.1:${mock.port}/v1 }\n  mocka: { type: anthropic, base_url: http://127.0.0.1:${mock.port} }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n  ma: { targets: [{ provider: mocka, model: bench }] }\n${extra}\n`,
    );
    const profDir = join(dir, 'prof');
    const sluice = await startChild(NODE, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ENTRY, 'serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, { cwd: dir });
    const ep: Endpoint = route === 'anthropic-openai' ? anthropic(sluice.port, 'm') : openai(sluice.port, route === 'openai-anthropic' ? 'ma' : 'm');
    const p = pool(sluice.port);
    const text = mockText(directives);
    await load(p, ep, text, { total: WARMUP, concurrency: 8, deadlineMs: 60_000, stream: true });
    const measureStart = performance.now();
    const cpu0 = treeCpuSeconds([sluice.pid]);
    const r = await load(p, ep, text, { total: MEASURED, concurrency: 8, deadlineMs: 60_000, stream: true });
    const cpuMs = ((treeCpuSeconds([sluice.pid]) - cpu0) * 1000) / r.completed;
    await p.close();
    await sluice.stop();
    // The profile ends when sluice exits: its last `sinceMs` are the measured streams.
    const sinceMs = performance.now() - measureStart;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    if (process.env.PROFILE_KEEP) writeFileSync(process.env.PROFILE_KEEP, readFileSync(join(profDir, file)));
    console.log(`${route}, ${directives}: ${r.completed} streams, ${cpuMs.toFixed(3)} ms CPU per stream (unprofiled runs are ~30% cheaper); the profile's last ${sinceMs.toFixed(0)} ms\n`);
    report(JSON.parse(readFileSync(join(profDir, file), 'utf8')), sinceMs);
  } finally {
    await sink?.stop();
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Self and inclusive time per function, over the samples of the profile's last `lastMs`. */
function report(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }, lastMs: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample times in µs (the profile's own clock).
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const cut = times[times.length - 1]! - lastMs * 1000;
  const selfUs = new Map<number, number>();
  let busy = 0;
  for (let i = 1; i < profile.samples.length; i++) {
    if (times[i]! < cut) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const dt = times[i]! - times[i - 1]!;
    selfUs.set(node.id, (selfUs.get(node.id) ?? 0) + dt);
    busy += dt;
  }
  const label = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + us);
    }
  }
  const print = (title: string, m: Map<string, number>, filter: (l: string) => boolean, n: number): void => {
    console.log(title);
    for (const [l, us] of [...m].filter(([l]) => filter(l)).sort((a, b) => b[1] - a[1]).slice(0, n)) {
      console.log(`${((us / busy) * 100).toFixed(1).padStart(6)}%  ${l}`);
    }
    console.log('');
  };
  print('Self time (% of busy samples):', self, (l) => !l.startsWith('(root)'), 30);
  print('Inclusive time of sluice functions:', incl, (l) => l.includes('src/'), LINES);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
