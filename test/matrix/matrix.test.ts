// The dialect matrix (issue 16 item 3): every front × every upstream type, streaming and not, one
// text turn and one tool round trip, through the official SDK of the front's dialect, against
// `sluice mock` behind a real sluice. A cell runs when the registry has both its front and its
// upstream type (and the mock speaks that upstream's dialect); otherwise it is reported as skipped
// with what is missing, so the grid fills in as dialects land.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_TOOL_ARGS, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY } from '../../src/protocols/bedrock/mock.ts';
import { FRONT_DRIVERS, TOOL } from './clients.ts';
import { registered } from './registry.ts';

/** How each upstream type reaches `sluice mock` (provider fields after `type:`), and extra env. */
const UPSTREAMS: ReadonlyArray<{ type: string; provider: (mock: string) => string; env?: Record<string, string> }> = [
  { type: 'openai', provider: (m) => `base_url: ${m}/v1` },
  { type: 'openai-responses', provider: (m) => `base_url: ${m}/v1` },
  { type: 'anthropic', provider: (m) => `base_url: ${m}` },
  { type: 'gemini', provider: (m) => `base_url: ${m}` },
  { type: 'cohere', provider: (m) => `base_url: ${m}` },
  {
    type: 'bedrock',
    provider: (m) => `base_url: ${m}, region: us-east-1`,
    // Through the AWS credential chain (env), with the credentials the mock verifies signatures against.
    env: { AWS_ACCESS_KEY_ID: MOCK_AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOCK_AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED: 'true' },
  },
];

const reg = registered();
const runnable = (type: string): string | undefined => {
  if (!reg.providerTypes.has(type)) return `upstream type ${type} is not registered`;
  if (!reg.mocked.has(type)) return `sluice mock does not speak ${type}`;
  return undefined;
};
const live = UPSTREAMS.filter((u) => runnable(u.type) === undefined);
const modelFor = (type: string): string => `mx-${type}`;
const EXPECTED_TEXT = mockText(12).join('');

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  const providers = live.map((u) => `  up-${u.type}: { type: ${u.type}, ${u.provider(mock.url)} }`).join('\n');
  const models = live.map((u) => `  ${modelFor(u.type)}: { targets: [{ provider: up-${u.type}, model: ${u.type}-model }] }`).join('\n');
  sluice = await startSluice({
    config: `providers:\n${providers}\nmodels:\n${models}\nretries: { attempts: 0 }\n`,
    env: Object.assign({}, ...live.map((u) => u.env ?? {})),
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

for (const driver of FRONT_DRIVERS) {
  describe(`front ${driver.label} (${driver.sdk})`, () => {
    for (const up of UPSTREAMS) {
      const skip = !reg.fronts.has(driver.front) ? `front ${driver.front} is not registered` : runnable(up.type);
      for (const stream of [false, true]) {
        const mode = stream ? 'stream' : 'non-stream';
        test(`${driver.label} → ${up.type}, ${mode}, text`, { skip: skip ?? false }, async () => {
          const text = await driver.text(sluice.url, modelFor(up.type), stream, "Say something.");
          assert.equal(text, EXPECTED_TEXT);
        });
        test(`${driver.label} → ${up.type}, ${mode}, tool round trip`, { skip: skip ?? false }, async () => {
          const trip = await driver.toolRoundTrip(sluice.url, modelFor(up.type), stream, 'Weather in Oslo? [[mock tool=1]]');
          assert.equal(trip.call.name, TOOL.name);
          assert.deepEqual(trip.call.args, MOCK_TOOL_ARGS);
          assert.ok(trip.call.id !== '', 'the call has an id the result can refer to');
          assert.equal(trip.final, EXPECTED_TEXT, 'the answer to the tool result');
        });
      }
    }
  });
}
