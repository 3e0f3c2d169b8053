// Shared setup for the translation end-to-end tests (issue 3 acceptance): one `sluice mock` in
// process, one real sluice with a provider of every upstream type pointing at it, each in native,
// `simulate` and `always` streaming modes, plus the built-in demo model.

import assert from 'node:assert/strict';
import { startMock, type MockRequestRecord, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

export interface TranslationEnv {
  mock: MockServer;
  sluice: SluiceProcess;
  close(): Promise<void>;
}

/** Model name -> the upstream dialect the mock sees for it. */
export const TARGETS = {
  'm-oa': 'openai',
  'm-an': 'anthropic',
  'm-ge': 'gemini',
  'm-oa-sim': 'openai',
  'm-an-sim': 'anthropic',
  'm-ge-sim': 'gemini',
  'm-oa-always': 'openai',
  'm-an-always': 'anthropic',
  'm-ge-always': 'gemini',
} as const;

export type MockModel = keyof typeof TARGETS;
/** The three native-streaming upstream types. */
export const NATIVE: MockModel[] = ['m-oa', 'm-an', 'm-ge'];
export const ALL_MOCK = Object.keys(TARGETS) as MockModel[];

export async function startTranslationEnv(extraYaml = ''): Promise<TranslationEnv> {
  const mock = await startMock({ port: 0 });
  const m = mock.url;
  let sluice: SluiceProcess;
  try {
    sluice = await startSluice({
      config: `
server: { keepalive: 5s }
providers:
  oa: { type: openai, base_url: ${m}/v1 }
  an: { type: anthropic, base_url: ${m} }
  ge: { type: gemini, base_url: ${m} }
  oa-sim: { type: openai, base_url: ${m}/v1, streaming: simulate }
  an-sim: { type: anthropic, base_url: ${m}, streaming: simulate }
  ge-sim: { type: gemini, base_url: ${m}, streaming: simulate }
  oa-always: { type: openai, base_url: ${m}/v1, streaming: always }
  an-always: { type: anthropic, base_url: ${m}, streaming: always }
  ge-always: { type: gemini, base_url: ${m}, streaming: always }
models:
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
  m-oa-sim: { targets: [{ provider: oa-sim, model: gpt-x }] }
  m-an-sim: { targets: [{ provider: an-sim, model: claude-x }] }
  m-ge-sim: { targets: [{ provider: ge-sim, model: gemini-x }] }
  m-oa-always: { targets: [{ provider: oa-always, model: gpt-x }] }
  m-an-always: { targets: [{ provider: an-always, model: claude-x }] }
  m-ge-always: { targets: [{ provider: ge-always, model: gemini-x }] }
  demo: { targets: [{ provider: demo, model: demo }] }
# No retries: each test sees exactly one upstream attempt (attempts counts retries after the first try).
retries: { attempts: 0 }
${extraYaml}`,
    });
  } catch (err) {
    await mock.close();
    throw err;
  }
  return {
    mock,
    sluice,
    async close() {
      await sluice.stop();
      await mock.close();
    },
  };
}

/** A tag unique per call, put in a prompt so a test finds its own request among the mock's records. */
let tagCounter = 0;
export function uniqueTag(label: string): string {
  return `${label}-${process.pid}-${++tagCounter}`;
}

/** The mock's record of the request whose body contains `tag` (waits for it to arrive). */
export function recordFor(mock: MockServer, tag: string, timeoutMs = 3000): Promise<MockRequestRecord> {
  return mock.waitFor((r) => r.body !== undefined && JSON.stringify(r.body).includes(tag), timeoutMs);
}

export async function within<T>(ms: number, p: Promise<T>, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Tool declarations every test offers, in each SDK's shape; the mock's `tool=1` calls the first. */
export const FORECAST_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    days: { type: 'number' },
    note: { type: 'string' },
    units: { type: 'string' },
    options: { type: 'object', properties: { hourly: { type: 'boolean' }, levels: { type: 'array', items: {} } } },
  },
  required: ['city'],
} as const;

export const TIME_SCHEMA = { type: 'object', properties: { zone: { type: 'string' } } } as const;

export function assertUsage(input: number | undefined | null, output: number | undefined | null, where: string): void {
  assert.ok(typeof output === 'number' && output > 0, `${where}: output tokens > 0 (got ${output})`);
  assert.ok(typeof input === 'number' && input >= 0, `${where}: input tokens >= 0 (got ${input})`);
}
