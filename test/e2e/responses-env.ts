// Shared setup for the Responses front end-to-end tests (issue 11): one `sluice mock` in process and
// one real sluice with a provider of every upstream type pointing at it — OpenAI chat, Anthropic (and
// its Azure Foundry and MiniMax presets), Gemini, OpenAI Responses — in native, `simulate` and `always`
// streaming modes, plus the demo model, with `responses.store` on (SQLite in the temp directory).

import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

export interface ResponsesEnv {
  mock: MockServer;
  sluice: SluiceProcess;
  close(): Promise<void>;
}

/** Model name -> the upstream dialect the mock sees for it. */
export const RESPONSES_TARGETS = {
  'm-oa': 'openai',
  'm-an': 'anthropic',
  'm-an-azure': 'anthropic',
  'm-an-minimax': 'anthropic',
  'm-ge': 'gemini',
  'm-rs': 'openai-responses',
  'm-oa-sim': 'openai',
  'm-an-sim': 'anthropic',
  'm-ge-sim': 'gemini',
  'm-rs-sim': 'openai-responses',
  'm-oa-always': 'openai',
  'm-an-always': 'anthropic',
  'm-ge-always': 'gemini',
  'm-rs-always': 'openai-responses',
} as const;

export type ResponsesModel = keyof typeof RESPONSES_TARGETS | 'demo';
/** Every model: each upstream type in each streaming mode, and the demo. */
export const ALL: ResponsesModel[] = [...(Object.keys(RESPONSES_TARGETS) as ResponsesModel[]), 'demo'];
/** One model per upstream type, native streaming. */
export const NATIVE: ResponsesModel[] = ['m-oa', 'm-an', 'm-ge', 'm-rs'];

export async function startResponsesEnv(extraYaml = 'responses: { store: true, retention: 1h }'): Promise<ResponsesEnv> {
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
  an-azure: { type: anthropic, preset: azure-anthropic, base_url: ${m}/anthropic, api_key: az-key }
  an-minimax: { type: anthropic, preset: minimax, base_url: ${m}/anthropic, api_key: mm-key }
  ge: { type: gemini, base_url: ${m} }
  rs: { type: openai-responses, base_url: ${m}/v1, api_key: rs-key }
  oa-sim: { type: openai, base_url: ${m}/v1, streaming: simulate }
  an-sim: { type: anthropic, base_url: ${m}, streaming: simulate }
  ge-sim: { type: gemini, base_url: ${m}, streaming: simulate }
  rs-sim: { type: openai-responses, base_url: ${m}/v1, streaming: simulate }
  oa-always: { type: openai, base_url: ${m}/v1, streaming: always }
  an-always: { type: anthropic, base_url: ${m}, streaming: always }
  ge-always: { type: gemini, base_url: ${m}, streaming: always }
  rs-always: { type: openai-responses, base_url: ${m}/v1, streaming: always }
models:
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-an-azure: { targets: [{ provider: an-azure, model: claude-azure }] }
  m-an-minimax: { targets: [{ provider: an-minimax, model: MiniMax-M2 }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
  m-rs: { targets: [{ provider: rs, model: gpt-5-x }] }
  m-oa-sim: { targets: [{ provider: oa-sim, model: gpt-x }] }
  m-an-sim: { targets: [{ provider: an-sim, model: claude-x }] }
  m-ge-sim: { targets: [{ provider: ge-sim, model: gemini-x }] }
  m-rs-sim: { targets: [{ provider: rs-sim, model: gpt-5-x }] }
  m-oa-always: { targets: [{ provider: oa-always, model: gpt-x }] }
  m-an-always: { targets: [{ provider: an-always, model: claude-x }] }
  m-ge-always: { targets: [{ provider: ge-always, model: gemini-x }] }
  m-rs-always: { targets: [{ provider: rs-always, model: gpt-5-x }] }
  demo: { targets: [{ provider: demo, model: demo }] }
# No retries: each test sees exactly one upstream attempt.
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

export { recordFor, uniqueTag, within, FORECAST_SCHEMA, TIME_SCHEMA, assertUsage } from './translation-env.ts';
