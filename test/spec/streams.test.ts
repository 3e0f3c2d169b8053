// docs/spec.md §4.1 and §4.4 over every SSE front as one table: the SSE headers (never compressed,
// even when the client offers gzip), headers out at `server.keepalive` when the upstream is slow to
// its first event, `: keepalive` comments while waiting, then the answer. And §11: SIGINT drains
// like SIGTERM (the stream in flight finishes) and the process exits 0.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let sluice: SluiceProcess;

const config = (mockUrl: string): string => `
server: { keepalive: 150ms }
providers:
  oai: { type: openai, base_url: ${mockUrl}/v1, api_key: up }
models:
  m: { targets: [{ provider: oai, model: gpt-4o }] }
retries: { attempts: 0 }
`;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({ config: config(mock.url) });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

interface Front {
  name: string;
  path: string;
  body: (prompt: string) => unknown;
  /** The text the client received, from the raw SSE body. */
  text: (sse: string) => string;
}

const dataOf = (sse: string): any[] =>
  sse
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));

const FRONTS: Front[] = [
  {
    name: 'chat completions',
    path: '/v1/chat/completions',
    body: (p) => ({ model: 'm', stream: true, messages: [{ role: 'user', content: p }] }),
    text: (s) => dataOf(s).map((d) => d.choices?.[0]?.delta?.content ?? '').join(''),
  },
  {
    name: 'messages',
    path: '/v1/messages',
    body: (p) => ({ model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: p }] }),
    text: (s) => dataOf(s).map((d) => (d.type === 'content_block_delta' ? d.delta.text : '')).join(''),
  },
  {
    name: 'responses',
    path: '/v1/responses',
    body: (p) => ({ model: 'm', stream: true, input: p }),
    text: (s) => dataOf(s).map((d) => (d.type === 'response.output_text.delta' ? d.delta : '')).join(''),
  },
  {
    name: 'gemini (alt=sse)',
    path: '/v1beta/models/m:streamGenerateContent?alt=sse',
    body: (p) => ({ contents: [{ role: 'user', parts: [{ text: p }] }] }),
    text: (s) => dataOf(s).map((d) => d.candidates?.[0]?.content?.parts?.map((x: { text?: string }) => x.text ?? '').join('') ?? '').join(''),
  },
  {
    name: 'cohere',
    path: '/v2/chat',
    body: (p) => ({ model: 'm', stream: true, messages: [{ role: 'user', content: p }] }),
    text: (s) => dataOf(s).map((d) => (d.type === 'content-delta' ? d.delta.message.content.text : '')).join(''),
  },
];

interface Timed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  headersAt: number;
  body: string;
  /** When the first `data:` line arrived, relative to the request. */
  firstDataAt: number;
  /** `: keepalive` comments that arrived before the first data line. */
  commentsBeforeData: number;
}

function post(path: string, body: unknown, base = sluice.url, onFirstData?: () => void): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate, br' } });
    req.on('response', (res) => {
      const headersAt = performance.now() - started;
      let text = '';
      let firstDataAt = -1;
      let comments = 0;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (firstDataAt < 0) {
          if (/^data:/m.test(text)) {
            firstDataAt = performance.now() - started;
            onFirstData?.();
          } else comments = (text.match(/^: keepalive$/gm) ?? []).length;
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, headersAt, body: text, firstDataAt, commentsBeforeData: comments }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('every SSE front: SSE headers, never compressed; headers at keepalive and `: keepalive` while the upstream is silent', () => {
  for (const front of FRONTS) {
    test(front.name, async () => {
      const r = await post(front.path, front.body('hi [[mock chunks=3 first=700]]'));
      assert.equal(r.status, 200, r.body.slice(0, 300));
      assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache, no-transform');
      assert.equal(r.headers['x-accel-buffering'], 'no');
      assert.equal(r.headers.connection, 'keep-alive');
      assert.equal(r.headers['content-encoding'], undefined, 'never compressed');
      assert.ok(r.headers['x-request-id'], 'x-request-id');
      assert.ok(r.headersAt < 600, `headers went out at the keepalive interval, not with the first event (${Math.round(r.headersAt)} ms)`);
      assert.ok(r.firstDataAt >= 600, `the first event waited for the upstream (${Math.round(r.firstDataAt)} ms)`);
      assert.ok(r.commentsBeforeData >= 2, `: keepalive comments while waiting (${r.commentsBeforeData})`);
      assert.equal(front.text(r.body), mockText(3).join(''));
    });
  }
});

const front0 = FRONTS[0]!;

test('SIGINT: the stream in flight finishes, then the process exits 0', async () => {
  const own = await startSluice({ config: config(mock.url) });
  try {
    let firstData!: () => void;
    const started = new Promise<void>((r) => (firstData = r));
    const streaming = post('/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock chunks=6 delay=100]]' }] }, own.url, firstData);
    // Signal only once the stream is under way (its first event is out).
    await started;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => own.proc.once('exit', (code, signal) => r({ code, signal })));
    own.proc.kill('SIGINT');
    const done = await streaming;
    assert.equal(front0.text(done.body), mockText(6).join(''), 'the stream finished');
    assert.match(done.body, /data: \[DONE\]\n\n$/);
    assert.deepEqual(await exited, { code: 0, signal: null });
  } finally {
    await own.stop();
  }
});
