// An embeddings request cut into several upstream calls (UpstreamCodec.embeddings.batching;
// docs/embeddings.md): the gateway in-process in front of a Bedrock Titan stand-in on loopback, which
// takes one text per call. The vectors come back in input order and the token counts summed; the
// first failing call fails the request and no call starts after it (the stand-in holds calls until
// four are open, so the calls after the failing one are still waiting when it fails). The bound on
// calls in flight is checked deterministically in parallel.test.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/index.ts';
import { createRouter } from '../../src/router/index.ts';
import { Pipeline } from '../../src/gateway/pipeline.ts';
import { DEFAULT_EMBEDDING_CONCURRENCY } from '../../src/core/embeddings.ts';
import { memoryOutput } from '../helpers/memory-output.ts';

const TOTAL = 10;

interface Stand {
  server: Server;
  url: string;
  arrived: number;
  open: number;
  mostOpen: number;
  /** The text whose call answers a ThrottlingException. */
  failOn?: string;
  reset(): void;
}

let stand: Stand;

before(async () => {
  const held: Array<() => void> = [];
  const s: Stand = {
    server: createServer(),
    url: '',
    arrived: 0,
    open: 0,
    mostOpen: 0,
    reset() {
      s.arrived = 0;
      s.open = 0;
      s.mostOpen = 0;
      s.failOn = undefined;
    },
  };
  const answer = (res: ServerResponse, text: string): void => {
    res.once('finish', () => s.open--);
    if (text === s.failOn) {
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' });
      res.end('{"message":"Too many requests, please wait before trying again."}');
      return;
    }
    // The vector names the text it is for (`t7` → [7, 7]), so the order can be checked.
    const n = Number(text.slice(1));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ embedding: [n, n], inputTextTokenCount: n + 1 }));
  };
  s.server.on('request', (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      assert.match(req.url ?? '', /^\/model\/amazon\.titan-embed-text-v2%3A0\/invoke$/);
      const { inputText } = JSON.parse(body) as { inputText: string };
      s.arrived++;
      s.open++;
      s.mostOpen = Math.max(s.mostOpen, s.open);
      held.push(() => answer(res, inputText));
      if (s.open >= DEFAULT_EMBEDDING_CONCURRENCY || s.arrived >= TOTAL || inputText === s.failOn) for (const release of held.splice(0)) release();
    });
  });
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  stand = s;
});

after(async () => {
  stand.server.closeAllConnections();
  await new Promise((resolve) => stand.server.close(resolve));
});

function pipeline(): Pipeline {
  const config = parseConfig(
    `
providers:
  br: { type: bedrock, region: us-east-1, base_url: "${stand.url}", api_key: ABSK-test-key }
models:
  titan: { targets: [{ provider: br, model: "amazon.titan-embed-text-v2:0" }] }
retries: { attempts: 0 }
`,
    { env: {} },
  );
  return new Pipeline(config, createRouter(config));
}

async function embed(p: Pipeline, input: string[]) {
  const req = p.decodeEmbeddings('openai', Buffer.from(JSON.stringify({ model: 'titan', input, encoding_format: 'float' })), { headers: {}, params: {}, query: new URLSearchParams() });
  const out = memoryOutput();
  const record = await p.embed(req, p.planEmbeddings(req), out, { requestId: 'r1', startedAt: 0, headers: {}, services: { modelNames: () => ['titan'], log: () => {} } });
  return { out, record };
}

const texts = Array.from({ length: TOTAL }, (_, i) => `t${i}`);

describe('an embeddings request over several upstream calls', () => {
  test('one call per text, vectors in input order, token counts summed', async () => {
    stand.reset();
    const { out, record } = await embed(pipeline(), texts);
    assert.equal(out.status, 200, out.body);
    const body = JSON.parse(out.body) as { data: Array<{ index: number; embedding: number[] }>; usage: { prompt_tokens: number } };
    assert.deepEqual(
      body.data.map((d) => d.embedding),
      texts.map((_, i) => [i, i]),
    );
    assert.deepEqual(
      body.data.map((d) => d.index),
      texts.map((_, i) => i),
    );
    assert.equal(body.usage.prompt_tokens, 55);
    assert.equal(record.usage?.estimated, undefined);
    assert.equal(stand.arrived, TOTAL);
    assert.ok(stand.mostOpen <= DEFAULT_EMBEDDING_CONCURRENCY, `${stand.mostOpen} calls open at once`);
  });

  test('a failing call fails the request in the client dialect, and no call starts after it', async () => {
    stand.reset();
    stand.failOn = 't5';
    const { out, record } = await embed(pipeline(), texts);
    assert.equal(out.status, 429, out.body);
    assert.match((JSON.parse(out.body) as { error: { message: string } }).error.message, /Too many requests/);
    assert.equal(record.errorCode, 'upstream_rate_limited');
    assert.ok(stand.arrived < TOTAL, `${stand.arrived} calls were made`);
  });
});
