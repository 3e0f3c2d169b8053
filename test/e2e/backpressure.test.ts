// A fast upstream and a slow client (docs/style.md: every buffer has a limit, the queue to a slow
// client too): sluice stops reading the upstream while the client is not reading, so the answer waits
// in TCP buffers rather than in sluice's memory, and it resumes, losing nothing, once the client reads.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Sends a streaming chat request over a raw socket, so the test decides when bytes are read. */
function request(port: number, text: string): Socket {
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: text }] });
  const socket = connect(port, '127.0.0.1');
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return socket;
}

/** Resolves once `bytes` have arrived, then leaves the socket paused. */
function readAtLeast(socket: Socket, bytes: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`only ${got} bytes in ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= bytes) {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
  });
}

describe('a slow client holds the upstream back', () => {
  let mock: MockServer;
  let sluice: SluiceProcess;
  before(async () => {
    mock = await startMock({});
    sluice = await startSluice({
      config: `
providers:
  mock: { type: openai, base_url: ${mock.url}/v1, timeouts: { idle: 2s } }
models:
  m: { targets: [{ provider: mock, model: bench }] }
retries: { attempts: 0 }
`,
    });
  });
  after(async () => {
    await sluice?.stop();
    await mock?.close();
  });

  test('the upstream is not drained into memory while the client does not read', async () => {
    // ~76 MB of SSE: more than the socket buffers on the way hold, and it would all be read within
    // the pause below (sluice then grew by ~150 MB; with flow control by ~4 MB).
    const socket = request(sluice.port, 'hold [[mock chunks=400000]]');
    try {
      await readAtLeast(socket, 64 * 1024, 10_000);
      const rssBefore = rssMb(sluice.pid);
      // Longer than the provider's idle limit (2 s): not reading the upstream is not its silence.
      await sleep(3000);
      const grown = rssMb(sluice.pid) - rssBefore;
      assert.ok(grown < 32, `sluice grew by ${grown.toFixed(1)} MB while the client read nothing`);
      const rec = mock.requests.find((r) => JSON.stringify(r.body).includes('hold [[mock'));
      assert.ok(rec, 'the mock saw the request');
      assert.equal(rec.finishedAt, undefined, 'the mock wrote its whole answer while the client read nothing');
      assert.equal(rec.closedAt, undefined, 'sluice gave up on the upstream while only the client was slow');
      // A client that leaves while paused still releases the upstream at once.
      const closedAt = Date.now();
      socket.destroy();
      const closed = await mock.waitFor((r) => r === rec && r.closedAt !== undefined, 2000);
      assert.ok(closed.closedAt! - closedAt < 1000);
    } finally {
      socket.destroy();
    }
  });

  test('a client that pauses mid-stream and reads on gets every event, then [DONE]', async () => {
    const chunks = 150_000;
    const socket = request(sluice.port, `resume [[mock chunks=${chunks}]]`);
    try {
      const parts: Buffer[] = [];
      let paused = false;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the stream did not finish within 60 s')), 60_000);
        socket.on('data', (d: Buffer) => {
          parts.push(d);
          if (!paused && parts.length > 4) {
            paused = true;
            socket.pause();
            setTimeout(() => socket.resume(), 1500);
          }
          // The chunked body's terminator ends the response.
          if (d.includes('\r\n0\r\n\r\n') || d.toString('latin1').endsWith('0\r\n\r\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
        socket.on('error', reject);
      });
      await done;
      const text = Buffer.concat(parts).toString('utf8');
      assert.ok(text.includes('data: [DONE]'), 'ends with [DONE]');
      assert.ok(!text.includes('"error"'), 'no error event');
      // Every text delta arrived: one `"content":"…"` chunk per mock delta (the role chunk's is empty).
      const deltas = text.match(/"delta":\{"content":"[^"]/g)?.length ?? 0;
      assert.equal(deltas, chunks);
    } finally {
      socket.destroy();
    }
  });
});
