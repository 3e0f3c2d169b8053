// The doctor's pure parts: pacing analysis, URL normalisation, exit codes and the human listing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseArrivals, analyseDebugTiming } from '../../src/doctor/timing.ts';
import { normaliseBaseUrl, TargetError } from '../../src/doctor/target.ts';
import { exitCodeOf, formatReport, redactKey } from '../../src/doctor/report.ts';
import { detectHops, fixesFor } from '../../src/doctor/hops.ts';
import type { DoctorReport } from '../../src/doctor/types.ts';

/** n ticks `interval` apart, sent by a server whose clock is `skew` ms off, arriving at `arrive(i)`. */
function ticks(n: number, interval: number, skew: number, arrive: (i: number, sent: number) => number): Array<{ sentAt: number; at: number }> {
  return Array.from({ length: n }, (_, i) => {
    const sent = 1_000_000 + i * interval;
    return { sentAt: sent + skew, at: arrive(i, sent) };
  });
}

describe('debug-stream timing', () => {
  test('events arriving as sent are spread, whatever the clock skew', () => {
    for (const skew of [0, 5_000, -3_600_000]) {
      const t = analyseDebugTiming(ticks(8, 250, skew, (i, sent) => sent + 40 + (i % 2) * 7), 250);
      assert.equal(t.verdict, 'spread', `skew ${skew}`);
      assert.equal(t.held, 0);
      assert.equal(t.deliveries, 8);
    }
  });

  test('events released together at the end are a burst', () => {
    const t = analyseDebugTiming(ticks(8, 250, 12_345, (i) => 1_000_000 + 7 * 250 + 30 + i * 0.2), 250);
    assert.equal(t.verdict, 'burst');
    assert.equal(t.held, 7);
    assert.equal(t.deliveries, 1);
    assert.ok(t.maxHoldMs >= 1700 && t.maxHoldMs <= 1800, String(t.maxHoldMs));
  });

  test('one late event is jitter; two are a partly held stream', () => {
    const one = analyseDebugTiming(ticks(8, 250, 0, (i, sent) => sent + 10 + (i === 3 ? 200 : 0)), 250);
    assert.equal(one.verdict, 'spread');
    assert.equal(one.held, 1);
    const two = analyseDebugTiming(ticks(8, 250, 0, (i, sent) => sent + 10 + (i === 3 || i === 6 ? 200 : 0)), 250);
    assert.equal(two.verdict, 'partly-held');
    assert.equal(two.held, 2);
  });
});

describe('chat-stream arrivals', () => {
  const start = 0;
  test('a demo-paced stream is spread', () => {
    const a = analyseArrivals(Array.from({ length: 40 }, (_, i) => 60 + i * 25), start);
    assert.equal(a.verdict, 'spread');
    assert.equal(a.medianGapMs, 25);
  });

  test('everything within a few ms at the end of a long response is a burst', () => {
    const a = analyseArrivals(Array.from({ length: 40 }, (_, i) => 1200 + i * 0.1), start);
    assert.equal(a.verdict, 'burst');
  });

  test('a quick stream cannot be judged', () => {
    assert.equal(analyseArrivals(Array.from({ length: 30 }, (_, i) => 5 + i * 2), start).verdict, 'too-fast');
    assert.equal(analyseArrivals([10, 20, 30], start).verdict, 'too-few');
  });

  test('a slow first token followed by a normally paced answer is not a burst', () => {
    const a = analyseArrivals(Array.from({ length: 40 }, (_, i) => 3000 + i * 15), start);
    assert.equal(a.verdict, 'spread');
  });

  test('a long stream in a few large deliveries is clustered', () => {
    const arrivals = Array.from({ length: 40 }, (_, i) => Math.floor(i / 20) * 600 + 100 + (i % 20) * 0.1);
    assert.equal(analyseArrivals(arrivals, start).verdict, 'clustered');
  });
});

describe('base URL', () => {
  test('a trailing /v1 and slashes are dropped, a path prefix is kept', () => {
    assert.equal(normaliseBaseUrl('http://127.0.0.1:4000'), 'http://127.0.0.1:4000');
    assert.equal(normaliseBaseUrl('http://127.0.0.1:4000/v1/'), 'http://127.0.0.1:4000');
    assert.equal(normaliseBaseUrl('https://example.com/llm/v1?x=1'), 'https://example.com/llm');
  });

  test('other schemes, junk and credentials are refused', () => {
    assert.throws(() => normaliseBaseUrl('ftp://h'), TargetError);
    assert.throws(() => normaliseBaseUrl('localhost:4000x'), TargetError);
    assert.throws(() => normaliseBaseUrl('http://user:pw@h'), TargetError);
  });
});

describe('hops and fixes', () => {
  test('proxies are recognised from their headers, detected ones listed first', () => {
    const hops = detectHops({ server: 'cloudflare', 'cf-ray': '8a1b-FRA' });
    assert.deepEqual(hops.map((h) => h.kind), ['cloudflare']);
    const fixes = fixesFor('buffering', hops).split('\n');
    assert.match(fixes[0]!, /^Cloudflare:/);
    assert.ok(fixes.some((l) => l.includes('proxy_buffering off;')));
    assert.ok(fixes.some((l) => l.includes('flush_interval -1')));
  });
});

describe('report', () => {
  const report = (statuses: Array<'pass' | 'fail' | 'warn' | 'skip'>, couldNotTest = false): DoctorReport => ({
    url: 'http://x',
    ok: !couldNotTest && !statuses.includes('fail'),
    couldNotTest,
    checks: statuses.map((status, i) => ({ name: `c${i}`, status, detail: `d${i}`, culprit: 'who', fix: 'a\nb' })),
  });

  test('exit codes: 0 healthy with warnings, 1 on a failure, 2 when nothing could be tested', () => {
    assert.equal(exitCodeOf(report(['pass', 'warn', 'skip'])), 0);
    assert.equal(exitCodeOf(report(['pass', 'fail'])), 1);
    assert.equal(exitCodeOf(report(['fail'], true)), 2);
  });

  test('one line per check, culprit and every fix line indented under problems only', () => {
    const text = formatReport(report(['pass', 'fail']));
    assert.match(text, /^✔ c0 +d0$/m);
    assert.match(text, /^✖ c1 +d1\n {4}culprit: who\n {4}fix: +a\n +b$/m);
    assert.equal(text.match(/culprit/g)?.length, 1);
    assert.match(text, /problem found \(exit 1\)/);
  });

  test('a key echoed by the gateway is masked everywhere in the report', () => {
    const r = report(['fail']);
    r.checks[0]!.detail = 'Incorrect API key provided: sk-"abc"';
    r.checks[0]!.data = { body: 'key sk-"abc" refused' };
    const masked = JSON.stringify(redactKey(r, 'sk-"abc"'));
    assert.ok(!masked.includes('sk-\\"abc'), masked);
    assert.equal(masked.match(/\*\*\*/g)?.length, 2);
  });
});
