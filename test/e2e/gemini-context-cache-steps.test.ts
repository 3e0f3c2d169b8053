// A Claude Code-shaped agent loop through sluice to a Gemini provider with `context_cache:`
// (docs/protocols/gemini.md §9). Claude Code marks its system prompt and the last two user messages
// with cache_control at every step, and ends each request with a mid-conversation system reminder
// that changes every step (protocols/anthropic-messages.md §11). So the last breakpoint is always on
// the newest message: its prefix cannot serve the request that marks it, but it is the earlier
// breakpoint of the next step. sluice reads the longest cached prefix and writes the last
// breakpoint's in the background: from the second step on every request reads the cache the step
// before made, one creation per step and no more, each made while the step that asked for it is
// answered (creations are held at a loopback gate in front of the mock until that step's answer is
// in). The reminder never enters a cache: it travels, delimited, at the end of the newest user turn.
// The gateway runs in-process on a manual clock behind a real HTTP port; the Anthropic SDK streams,
// as Claude Code does, and sends the answers back as history.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import { startMock, type MockServer, type MockRequestRecord } from '../../src/mock/server.ts';
import { mockTokenCount } from '../../src/protocols/gemini/mock-cache.ts';

const STEPS = 5;
const INSTRUCTIONS = Array.from({ length: 80 }, (_, i) => `Rule ${i}: keep answers short, cite files by path, and never invent tool output.`).join('\n');

const clock = new ManualClock();
const wall0 = Date.now();
let mock: MockServer;
let gate: Gate;
let app: App;
let client: Anthropic;
const logs: Array<Record<string, unknown>> = [];

/**
 * A loopback pass-through to the mock that holds cache creations (POST …/cachedContents) while
 * closed, so a test sees what a request does while its creation has not been answered.
 */
interface Gate {
  url: string;
  closed: boolean;
  /** Creations held, in arrival order, with their bodies. */
  held: Array<{ body: string; release(): void }>;
  /** Every creation that reached the gate. */
  creations: string[];
  close(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  const forward = (method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer, res: import('node:http').ServerResponse): void => {
    const up = httpRequest(`${target}${url}`, { method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const send = (): void => forward(req.method ?? 'GET', req.url ?? '/', req.headers, body, res);
      if (req.method === 'POST' && req.url?.endsWith('/cachedContents')) {
        g.creations.push(body.toString('utf8'));
        if (g.closed) {
          g.held.push({ body: body.toString('utf8'), release: send });
          return;
        }
      }
      send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const g: Gate = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closed: false,
    held: [],
    creations: [],
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return g;
}

before(async () => {
  mock = await startMock({ now: () => wall0 + clock.now() });
  gate = await startGate(mock.url);
  const config = parseConfig(
    `
providers:
  g: { type: gemini, base_url: "${gate.url}", api_key: k-gemini, context_cache: { ttl: 5m } }
models:
  claude-sonnet-5: { targets: [{ provider: g, model: gemini-2.5-flash }] }
retries: { attempts: 0 }
`,
    { env: {} },
  );
  app = createApp(config, { env: { clock }, log: (fields, message) => logs.push({ ...fields, msg: message }) });
  const address = await app.listen(0, '127.0.0.1');
  client = new Anthropic({ baseURL: `http://127.0.0.1:${address.port}`, apiKey: 'x', maxRetries: 0 });
});
after(async () => {
  // Whatever a failed test left held goes on, so the gateway's connections can close.
  if (gate !== undefined) {
    gate.closed = false;
    for (const h of gate.held.splice(0)) h.release();
  }
  await app?.close();
  await gate?.close();
  await mock?.close();
});

const CC = { type: 'ephemeral' as const };
const TOOLS: Anthropic.Tool[] = [
  { name: 'Bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
  { name: 'Edit', description: 'Edit a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } } } },
];

/**
 * One step as Claude Code sends it: the system blocks (two marked), the tools, the history with
 * cache_control on the last block of the last two user messages, and a trailing system reminder.
 */
function stepBody(history: Anthropic.MessageParam[], reminder: string): Anthropic.MessageStreamParams {
  const messages = history.map((m) => ({ ...m, content: Array.isArray(m.content) ? [...m.content] : m.content }) as Anthropic.MessageParam);
  let marked = 0;
  for (let i = messages.length - 1; i >= 0 && marked < 2; i--) {
    const m = messages[i]!;
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    const lastBlock = m.content.length - 1;
    m.content[lastBlock] = { ...m.content[lastBlock]!, cache_control: CC } as Anthropic.ContentBlockParam;
    marked++;
  }
  messages.push({ role: 'system', content: [{ type: 'text', text: reminder }] });
  return {
    model: 'claude-sonnet-5',
    max_tokens: 32000,
    stream: true,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=cli' },
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: CC },
      { type: 'text', text: INSTRUCTIONS, cache_control: CC },
    ],
    tools: TOOLS,
    messages,
  };
}

const generations = (): Array<Record<string, unknown>> =>
  mock.requests.filter((r: MockRequestRecord) => /:(?:stream)?[gG]enerateContent/.test(r.path)).map((r) => r.body as Record<string, unknown>);
const created = (): Array<Record<string, unknown>> => logs.filter((l) => l.msg === 'context cache: created');

/**
 * The answer to one step, or a failure when it does not come within about 5 s of real time: a step
 * that waited for a creation held at the gate would never be answered (the manual clock stands).
 */
async function answered(params: Anthropic.MessageStreamParams, what: string): Promise<Anthropic.Message> {
  const stream = client.messages.stream(params);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stream.abort();
      reject(new Error(`${what} was not answered: it waited for a cache creation`));
    }, 5000);
  });
  try {
    return await Promise.race([stream.finalMessage(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls real I/O progress (sockets, the gate); bounded at about 5 s. */
async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('Claude Code steps: from the second on each reads the cache the step before made in the background; one creation per step', async () => {
  const history: Anthropic.MessageParam[] = [
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>The date is 2030-01-01.</system-reminder>' }, { type: 'text', text: 'Find the failing test. [[mock tool=Bash chunks=2]]' }] },
  ];
  const cacheOfStep: Array<{ name: string; tokens: number }> = [];

  for (let step = 1; step <= STEPS; step++) {
    const reminder = `<system-reminder>Step ${step}: ${step * 3} todo items open; the clock reads ${clock.now() + step}.</system-reminder>`;
    gate.closed = true;
    const message = await answered(stepBody(history, reminder), `step ${step}`);

    // Answered while this step's creation is still held at the gate: it was not waited for.
    await waitUntil(() => gate.held.length === 1, `step ${step}'s creation`);
    assert.equal(created().length, step - 1, `step ${step}: its creation has not been answered`);
    const held = JSON.parse(gate.held[0]!.body) as { contents: Array<{ role: string; parts: unknown[] }>; systemInstruction: { parts: Array<{ text: string }> } };
    // The prefix up to the last breakpoint: everything this step sent, its newest user message included.
    assert.equal(held.contents.length, 2 * step - 1);
    assert.equal(held.contents.at(-1)!.role, 'user');
    assert.match(held.systemInstruction.parts[0]!.text, /You are Claude Code[\s\S]*Rule 79/);
    assert.doesNotMatch(JSON.stringify(held), /system-reminder>Step/, 'the trailing reminder is in no cache');

    const sent = generations().at(-1)!;
    if (step === 1) {
      // Nothing cached yet: the whole request, uncached.
      assert.equal(sent.cachedContent, undefined);
      assert.equal(message.usage.cache_read_input_tokens ?? 0, 0);
    } else {
      // The earlier breakpoint (the previous step's newest message) is the prefix the step before made.
      const previous = cacheOfStep[step - 2]!;
      assert.equal(sent.cachedContent, previous.name, `step ${step} reads step ${step - 1}'s cache`);
      assert.equal(message.usage.cache_read_input_tokens, previous.tokens);
      assert.ok(previous.tokens > 1024);
      assert.equal(sent.systemInstruction, undefined);
      assert.equal(sent.tools, undefined);
      // Only what follows the cache: the previous answer and the newest user turn, which ends with the reminder.
      const contents = sent.contents as Array<{ role: string; parts: Array<{ text?: string }> }>;
      assert.deepEqual(contents.map((c) => c.role), ['model', 'user']);
      assert.equal(contents[1]!.parts.at(-1)!.text, `<system>\n${reminder}\n</system>`);
    }

    gate.closed = false;
    gate.held.shift()!.release();
    await waitUntil(() => created().length === step, `step ${step}'s cache`);
    const made = created().at(-1)!;
    assert.equal(made.background, true);
    assert.equal(made.tokens, mockTokenCount([held.systemInstruction, held.contents, (held as { tools?: unknown }).tools]));
    cacheOfStep.push({ name: String(made.cache), tokens: Number(made.tokens) });

    // Claude Code sends the answer back, then the tool's result.
    const call = message.content.find((b) => b.type === 'tool_use');
    assert.ok(call, `step ${step} answered with a tool call`);
    history.push({ role: 'assistant', content: message.content as Anthropic.ContentBlockParam[] });
    history.push({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: call.id, content: `exit 0\noutput of step ${step}` },
        { type: 'text', text: '[[mock tool=Bash chunks=2]]' },
      ],
    });
  }

  assert.equal(gate.creations.length, STEPS, 'one creation per step, no more');
  assert.equal(mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cachedContents')).length, STEPS);
  assert.equal(new Set(cacheOfStep.map((c) => c.name)).size, STEPS);
  assert.equal(mock.requests.filter((r) => r.outcome === 'refused').length, 0);
});

test('the same step again with another trailing reminder reads the same cache and creates nothing', async () => {
  // A conversation of its own: two steps, then the second step re-sent with a different reminder.
  gate.closed = false;
  const base = created().length;
  const first: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'Read the logs. [[mock tool=Read chunks=2]]' }] }];
  const one = await answered(stepBody(first, '<system-reminder>A</system-reminder>'), 'the first step');
  await waitUntil(() => created().length === base + 1, 'the first cache');
  const call = one.content.find((b) => b.type === 'tool_use')!;
  const second: Anthropic.MessageParam[] = [
    ...first,
    { role: 'assistant', content: one.content as Anthropic.ContentBlockParam[] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'log line' }, { type: 'text', text: '[[mock chunks=2]]' }] },
  ];
  const a = await answered(stepBody(second, '<system-reminder>B: 3 todo items</system-reminder>'), 'the second step');
  await waitUntil(() => created().length === base + 2, "the second step's cache");
  const creationsBefore = gate.creations.length;
  const b = await answered(stepBody(second, '<system-reminder>C: 1 todo item, a different time</system-reminder>'), 'the second step again');
  const [ga, gb] = generations().slice(-2);
  assert.ok((a.usage.cache_read_input_tokens ?? 0) > 0);
  assert.equal(gb!.cachedContent, ga!.cachedContent, 'the reminder changed, the cache did not');
  assert.equal(b.usage.cache_read_input_tokens, a.usage.cache_read_input_tokens);
  assert.equal(gate.creations.length, creationsBefore, 'its last breakpoint is cached already: nothing is created');
  assert.match(JSON.stringify(gb!.contents), /C: 1 todo item/);
});
