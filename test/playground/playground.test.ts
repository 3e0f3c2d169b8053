// The playground in a real browser (Debian's Chromium through playwright-core): a zero-config sluice
// serves GET /, the page lists `demo`, streams an answer that visibly grows, draws one timeline tick
// per event with the largest gap labelled, and Stop aborts the request (the gateway logs a
// client_abort). Skips when /usr/bin/chromium is missing, unless SLUICE_REQUIRE_SYSTEM=1.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.SLUICE_REQUIRE_SYSTEM === '1';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
if (missing && !REQUIRE) console.log(`# skipping playground browser tests: ${missing}`);

const PROMPT = 'Describe a lock on a canal';

describe('playground in Chromium', { skip: missing && !REQUIRE ? missing : false, timeout: 90_000 }, () => {
  let sluice: SluiceProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    if (missing) throw new Error(`SLUICE_REQUIRE_SYSTEM=1 but ${missing}`);
    sluice = await startSluice({
      // 25 ms per token (startSluice defaults to 2) so the stream is slow enough to watch.
      env: { SLUICE_DEMO_TOKEN_MS: '25', SLUICE_DEMO_FIRST_MS: '60', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GEMINI_API_KEY: '', OPENROUTER_API_KEY: '' },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Root (CI containers) needs --no-sandbox; the rest keep Chromium off the (absent) network.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    page.setDefaultTimeout(15_000);
    // CSP violations and script errors show up here; the page must have none.
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith(sluice.url) && !req.url().startsWith('data:')) problems.push(`external request: ${req.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await sluice?.stop();
  });

  test('GET / serves the page with a strict CSP', async () => {
    const res = await fetch(`${sluice.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'.*script-src 'sha256-/);
    const html = await res.text();
    assert.ok(!/(src|href)="https?:/.test(html), 'no external URLs');
  });

  test('streams the answer visibly and draws the event timeline', async () => {
    await page.goto(`${sluice.url}/`);
    await page.waitForFunction(() => [...(globalThis as unknown as PageDom).document.querySelectorAll('#model option')].some((o) => o.value === 'demo'));
    await page.selectOption('#model', 'demo');
    await page.fill('#prompt', PROMPT);
    // Record every distinct length the answer passes through, as the DOM changes.
    await page.evaluate(() => {
      const dom = globalThis as unknown as PageDom;
      const answer = dom.document.getElementById('answer')!;
      const lengths: number[] = (dom.lengths = []);
      new dom.MutationObserver(() => {
        const n = answer.textContent!.length;
        if (lengths[lengths.length - 1] !== n) lengths.push(n);
      }).observe(answer, { characterData: true, childList: true, subtree: true });
    });
    await page.click('#send');
    await page.waitForFunction(statusIncludes, 'Done.');

    const answer = (await page.textContent('#answer')) ?? '';
    const expected = await demoAnswer(sluice.url, PROMPT);
    assert.equal(answer, expected);
    const lengths = await page.evaluate(() => (globalThis as unknown as PageDom).lengths);
    const partial = new Set(lengths.filter((n) => n > 0 && n < answer.length));
    assert.ok(partial.size >= 3, `at least 3 partial states before the final text, saw lengths ${lengths.join(',')}`);
    assert.equal(lengths[lengths.length - 1], answer.length);

    const events = Number(await page.textContent('#stat-events'));
    const ticks = await page.locator('#timeline line.tick').count();
    assert.ok(events >= 10, `events: ${events}`);
    assert.equal(ticks, events, 'one tick per event');
    assert.equal(await page.locator('#timeline line.tick.first').count(), 1);
    assert.equal(await page.locator('#timeline rect.gap').count(), 1);
    assert.match((await page.textContent('#timeline .gap-label')) ?? '', /^largest gap \d+ ms$/);
    assert.match((await page.textContent('#timeline .first-label')) ?? '', /^first event \d+ ms$/);
    assert.match((await page.textContent('#stat-first')) ?? '', /^\d+ ms$/);
    assert.match((await page.textContent('#stat-total')) ?? '', /^\d/);
    assert.match((await page.textContent('#stat-tokens')) ?? '', /^\d+ \/ \d+$/);
    // Ticks spread along the axis as the events were spread in time (25 ms apart), not in one burst.
    const xs = await page.locator('#timeline line.tick').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('x1'))));
    assert.ok(xs[xs.length - 1]! - xs[0]! > 300, `ticks span ${xs[xs.length - 1]! - xs[0]!} px`);

    const dir = join(ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, 'playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# playground screenshot: ${shot}`);
    assert.deepEqual(problems, []);
  });

  test('Stop aborts the stream; the gateway records a client abort', async () => {
    await page.fill('#prompt', `${PROMPT}, then stop`);
    await page.click('#send');
    await page.waitForFunction(() => ((globalThis as unknown as PageDom).document.getElementById('answer')?.textContent ?? '').length > 10);
    assert.equal(await page.isEnabled('#stop'), true);
    await page.click('#stop');
    await page.waitForFunction(statusIncludes, 'Stopped.');
    const answer = (await page.textContent('#answer')) ?? '';
    assert.ok(answer.length < (await demoAnswer(sluice.url, `${PROMPT}, then stop`)).length, 'the answer stopped part way');
    assert.equal(await page.isEnabled('#send'), true);
    assert.equal(await page.isEnabled('#stop'), false);
    await sluice.waitForRecord((r) => r.end_reason === 'client_abort', 5000);
    assert.deepEqual(problems, []);
  });

  test('the Responses front (/v1/responses) streams the same answer, with its usage', async () => {
    const labels = await page.locator('#front option').allTextContents();
    assert.ok(labels.includes('Responses (/v1/responses)'), labels.join(' | '));
    await page.selectOption('#front', 'openai-responses');
    await page.fill('#prompt', `${PROMPT}, via Responses`);
    await page.click('#send');
    await page.waitForFunction(statusIncludes, 'Done.');
    assert.equal((await page.textContent('#answer')) ?? '', await demoAnswer(sluice.url, `${PROMPT}, via Responses`));
    assert.match((await page.textContent('#stat-tokens')) ?? '', /^\d+ \/ \d+$/);
    await sluice.waitForRecord((r) => r.front === 'openai-responses' && r.status === 200, 5000);
    assert.deepEqual(problems, []);
  });
});

// Page-side functions are serialised and run in the page; this project's TypeScript has no DOM
// library, so they see the page through this small type. (String predicates would need eval,
// which the playground's CSP rightly forbids.)
interface PageDom {
  document: {
    getElementById(id: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): Iterable<{ value?: string }>;
  };
  MutationObserver: new (cb: () => void) => { observe(target: unknown, opts: Record<string, boolean>): void };
  lengths: number[];
}

function statusIncludes(text: string): boolean {
  return ((globalThis as unknown as PageDom).document.getElementById('status')?.textContent ?? '').includes(text);
}

/** The demo model is deterministic: the non-streaming answer to the same prompt is the full text. */
async function demoAnswer(url: string, prompt: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: prompt }] }),
  });
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]!.message.content;
}
