// The playground's spend views in a real browser (Debian's Chromium through playwright-core): after a
// request the page shows its cost and cached tokens, and the "Spend, last 24 hours" table lists
// spend per key and model from the store, with a total. Plus the JSON behind it: a gateway with
// keys shows a key only its own requests and rows. Skips without /usr/bin/chromium unless
// SLUICE_REQUIRE_SYSTEM=1.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRE = process.env.SLUICE_REQUIRE_SYSTEM === '1';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
if (missing && !REQUIRE) console.log(`# skipping playground spend browser tests: ${missing}`);

interface PageDom {
  document: { querySelectorAll(s: string): ArrayLike<{ value: string; textContent: string | null }> & Iterable<{ value: string }>; getElementById(id: string): { textContent: string | null } | null };
}

let mock: MockServer;
before(async () => {
  mock = await startMock({ port: 0 });
});
after(async () => {
  await mock?.close();
});

describe('playground spend in Chromium', { skip: missing && !REQUIRE ? missing : false, timeout: 90_000 }, () => {
  let sluice: SluiceProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    if (missing) throw new Error(`SLUICE_REQUIRE_SYSTEM=1 but ${missing}`);
    sluice = await startSluice({
      config: `
providers:
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-up }
models:
  sonnet: { targets: [{ provider: claude, model: claude-sonnet-4-5-20250929 }] }
  demo: { targets: [{ provider: demo, model: demo }] }
pricing:
  demo/demo: { input: 300, output: 1500 }
`,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
    page.setDefaultTimeout(15_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await sluice?.stop();
  });

  test('a request shows its cost and cached tokens; the spend table sums per key and model', async () => {
    await page.goto(`${sluice.url}/`);
    await page.waitForFunction(() => Array.from((globalThis as unknown as PageDom).document.querySelectorAll('#model option')).some((o) => o.value === 'sonnet'));
    assert.match((await page.textContent('#spend-rows')) ?? '', /no requests yet/);

    await page.selectOption('#model', 'sonnet');
    await page.fill('#prompt', 'about canals [[mock cached=1200 cache_write=40 chunks=5]]');
    await page.click('#send');
    await page.waitForFunction(() => ((globalThis as unknown as PageDom).document.getElementById('stat-cost')?.textContent ?? '–') !== '–');
    const id = (await page.textContent('#stat-id'))!;
    const record = await sluice.waitForRecord((r) => r.request_id === id);
    assert.equal(await page.textContent('#stat-cached'), '1,200 read, 40 written');
    const shown = (await page.textContent('#stat-cost'))!;
    assert.match(shown, /^\$[0-9.]+$/);
    assert.ok(Math.abs(Number(shown.slice(1)) - (record.cost_usd as number)) / (record.cost_usd as number) < 0.01, `${shown} vs ${String(record.cost_usd)}`);

    await page.selectOption('#model', 'demo');
    await page.fill('#prompt', 'a short poem');
    await page.click('#send');
    await page.waitForFunction(() => ((globalThis as unknown as PageDom).document.getElementById('stat-cost')?.textContent ?? '–') !== '–');
    await page.waitForFunction(() => (globalThis as unknown as PageDom).document.querySelectorAll('#spend-rows tr').length === 3);

    const rows = await page.locator('#spend-rows tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const byModel = new Map(rows.map((r) => [r[1], r]));
    assert.equal(byModel.get('sonnet')![0], '(no key)');
    assert.equal(byModel.get('sonnet')![2], '1');
    assert.equal(byModel.get('sonnet')![4], '1,200');
    assert.equal(byModel.get('demo')![2], '1');
    assert.equal(rows.at(-1)![0], 'Total');
    // The demo's price (overridden) is far higher: it comes first, with the longer bar.
    assert.equal(rows[0]![1], 'demo');
    await sluice.waitForRecord((r) => r.model === 'demo' && r.status === 200);
    const records = sluice.records().filter((r) => r.status === 200);
    const total = records.reduce((s, r) => s + (r.cost_usd as number), 0);
    const shownTotal = (await page.textContent('#spend-total'))!;
    assert.ok(Math.abs(Number(shownTotal.replace('$', '')) - total) / total < 0.01, `${shownTotal} vs ${total}`);

    const dir = join(ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'playground-spend.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });
});

describe('spend JSON with client keys', () => {
  let sluice: SluiceProcess;
  const A = 'sk-client-spend-a-0123456789abc';
  const B = 'sk-client-spend-b-0123456789abc';
  before(async () => {
    sluice = await startSluice({
      config: `
providers:
  relay: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
models:
  gpt: { targets: [{ provider: relay, model: gpt-4o }] }
auth:
  keys:
    - { name: a, key: "${A}" }
    - { name: b, key: "${B}" }
`,
    });
  });
  after(async () => {
    await sluice?.stop();
  });

  const get = (path: string, key?: string): Promise<Response> => fetch(`${sluice.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  test('a key sees its own requests and rows only; no key is 401', async () => {
    const ask = (key: string): Promise<Response> =>
      fetch(`${sluice.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi [[mock cached=7]]' }] }),
      });
    const ra = await ask(A);
    await ra.text();
    const idA = ra.headers.get('x-request-id')!;
    await (await ask(B)).text();

    assert.equal((await get('/sluice/spend')).status, 401);
    const mine = (await (await get(`/sluice/spend/request?id=${idA}`, A)).json()) as Record<string, unknown>;
    assert.equal(mine.key, 'a');
    assert.equal(mine.tokens_cache_read, 7);
    assert.ok((mine.cost_usd as number) > 0);
    assert.equal((await get(`/sluice/spend/request?id=${idA}`, B)).status, 404);

    const report = (await (await get('/sluice/spend?since=1h', B)).json()) as { key: string; rows: Array<{ key: string; requests: number; cost_usd: number }>; total_usd: number };
    assert.equal(report.key, 'b');
    assert.deepEqual(report.rows.map((r) => [r.key, r.requests]), [['b', 1]]);
    assert.equal(report.total_usd, report.rows[0]!.cost_usd);
    assert.equal((await get('/sluice/spend?since=yesterday', A)).status, 400);
  });
});
