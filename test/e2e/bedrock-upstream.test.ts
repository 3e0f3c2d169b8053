// Issue 13 item 1 end to end: a real sluice with `bedrock` providers pointed at `sluice mock`, which
// checks every SigV4 signature. The official OpenAI and Anthropic SDKs are the clients, streaming and
// not: text, tools, reasoning; credentials static, temporary, from the AWS chain (env, shared
// profile) and as a Bedrock API key; faults before the stream fail over, faults inside it reach the
// client in its dialect, and the next request works. Token counts go to Bedrock's CountTokens.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_ARGS, mockReasoning, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import {
  MOCK_AWS_ACCESS_KEY_ID,
  MOCK_AWS_SECRET_ACCESS_KEY,
  MOCK_AWS_SESSION_TOKEN,
  MOCK_AWS_TEMP_ACCESS_KEY_ID,
  MOCK_AWS_TEMP_SECRET_ACCESS_KEY,
  MOCK_BEDROCK_API_KEY,
} from '../../src/protocols/bedrock/mock.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { FORECAST_SCHEMA, recordFor, uniqueTag } from './translation-env.ts';
import { tempDir } from '../helpers/tmp.ts';

const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const TEXT12 = mockText(12).join('');
let mock: MockServer;
let sluice: SluiceProcess;
let openai: OpenAI;
let anthropic: Anthropic;

/** An environment without anything that would send the AWS chain off the machine (IMDS, SSO). */
function isolatedAwsEnv(dir: string): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_BEARER_TOKEN_BEDROCK: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  };
}

before(async () => {
  mock = await startMock();
  const m = mock.url;
  const dir = tempDir('sluice-aws-');
  writeFileSync(
    join(dir, 'credentials'),
    `[mock]\naws_access_key_id = ${MOCK_AWS_TEMP_ACCESS_KEY_ID}\naws_secret_access_key = ${MOCK_AWS_TEMP_SECRET_ACCESS_KEY}\naws_session_token = ${MOCK_AWS_SESSION_TOKEN}\n`,
  );
  const keys = `access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_SECRET_ACCESS_KEY}`;
  sluice = await startSluice({
    env: { ...isolatedAwsEnv(dir), AWS_ACCESS_KEY_ID: MOCK_AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: MOCK_AWS_SECRET_ACCESS_KEY },
    config: `
server: { keepalive: 5s }
providers:
  br: { type: bedrock, region: us-east-1, base_url: ${m}, ${keys} }
  br-temp: { type: bedrock, region: eu-west-1, base_url: ${m}, access_key_id: ${MOCK_AWS_TEMP_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_TEMP_SECRET_ACCESS_KEY}, session_token: ${MOCK_AWS_SESSION_TOKEN} }
  br-chain: { type: bedrock, region: us-west-2, base_url: ${m} }
  br-profile: { type: bedrock, region: us-east-1, base_url: ${m}, profile: mock }
  br-key: { type: bedrock, region: us-east-1, base_url: ${m}, api_key: ${MOCK_BEDROCK_API_KEY} }
  br-wrong: { type: bedrock, region: us-east-1, base_url: ${m}, access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: not-the-secret }
  br-throttled: { type: bedrock, region: us-east-1, base_url: ${m}/_mock/fault=status;status=429, ${keys} }
models:
  claude: { targets: [{ provider: br, model: ${CLAUDE} }] }
  temp: { targets: [{ provider: br-temp, model: ${CLAUDE} }] }
  chain: { targets: [{ provider: br-chain, model: ${CLAUDE} }] }
  profile: { targets: [{ provider: br-profile, model: ${CLAUDE} }] }
  apikey: { targets: [{ provider: br-key, model: amazon.nova-pro-v1:0 }] }
  wrong: { targets: [{ provider: br-wrong, model: ${CLAUDE} }] }
  arn: { targets: [{ provider: br, model: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3" }] }
  failover:
    strategy: fallback
    targets: [{ provider: br-throttled, model: ${CLAUDE} }, { provider: br, model: ${CLAUDE} }]
# One retry: a failure before the stream moves on to the next target once.
retries: { attempts: 1, backoff: 10ms }
`,
  });
  openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const TOOLS: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_forecast', parameters: FORECAST_SCHEMA as unknown as Record<string, unknown> } }];

describe('OpenAI chat over bedrock', () => {
  test('streaming: text, usage; the mock verified a signature over a model id with ":"', async () => {
    const tag = uniqueTag('oa-stream');
    const stream = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: tag }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, TEXT12);
    assert.deepEqual([usage?.prompt_tokens, usage?.completion_tokens], [11, 12]);
    const rec = await recordFor(mock, tag);
    assert.equal(rec.dialect, 'bedrock');
    assert.match(rec.path, /\/model\/us\.anthropic\.claude-sonnet-4-5-20250929-v1%3A0\/converse-stream$/);
    assert.match(String(rec.headers.authorization), /Credential=AKIASLUICEMOCKKEY001\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    assert.deepEqual(rec.body.messages, [{ role: 'user', content: [{ text: tag }] }]);
  });

  test('non-streaming, and a tool round trip', async () => {
    const first = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather? [[mock tool=1]]' }], tools: TOOLS });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.ok(call?.type === 'function');
    assert.deepEqual(JSON.parse(call.function.arguments), MOCK_TOOL_ARGS);
    const tag = uniqueTag('oa-tool');
    const second = await openai.chat.completions.create({
      model: 'claude',
      tools: TOOLS,
      messages: [
        { role: 'user', content: `Weather? ${tag}` },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: '{"high_c":4}' },
      ],
    });
    assert.equal(second.choices[0].message.content, TEXT12);
    const rec = await recordFor(mock, tag);
    const use = rec.body.messages[1].content.find((b: { toolUse?: unknown }) => b.toolUse !== undefined);
    assert.deepEqual(use.toolUse.input, MOCK_TOOL_ARGS);
    assert.deepEqual(rec.body.messages[2].content[0].toolResult, { toolUseId: call.id, content: [{ text: '{"high_c":4}' }] });
    assert.equal(rec.body.toolConfig.tools[0].toolSpec.name, 'get_forecast');
  });

  test('an application inference profile ARN is one encoded path segment', async () => {
    const tag = uniqueTag('arn');
    const res = await openai.chat.completions.create({ model: 'arn', messages: [{ role: 'user', content: tag }] });
    assert.equal(res.choices[0].message.content, TEXT12);
    const rec = await recordFor(mock, tag);
    assert.match(rec.path, /\/model\/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3\/converse$/);
  });
});

describe('Anthropic messages over bedrock', () => {
  test('streaming with thinking: reasoning, signature and text; non-streaming tool call', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'Think [[mock reasoning=3]]' }],
    });
    const msg = await stream.finalMessage();
    const thinking = msg.content.find((b) => b.type === 'thinking');
    assert.equal(thinking?.type === 'thinking' && thinking.thinking, mockReasoning(3).join(''));
    assert.ok(thinking?.type === 'thinking' && thinking.signature.length > 0, 'the signature survives');
    assert.equal(msg.content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlock).text).join(''), TEXT12);
    const rec = mock.requests.at(-1)!;
    assert.deepEqual(rec.body.additionalModelRequestFields?.thinking, { type: 'enabled', budget_tokens: 2048 });

    const res = await anthropic.messages.create({
      model: 'claude',
      max_tokens: 100,
      tools: [{ name: 'get_forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema }],
      messages: [{ role: 'user', content: 'x [[mock tool=1]]' }],
    });
    assert.equal(res.stop_reason, 'tool_use');
    const use = res.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use?.type === 'tool_use' && use.input, MOCK_TOOL_ARGS);
  });
});

describe('credentials', () => {
  for (const [model, expect] of [
    ['temp', /Credential=ASIASLUICEMOCKKEY002\/\d{8}\/eu-west-1\/bedrock/],
    ['chain', /Credential=AKIASLUICEMOCKKEY001\/\d{8}\/us-west-2\/bedrock/],
    ['profile', /Credential=ASIASLUICEMOCKKEY002\//],
    ['apikey', /^Bearer ABSKsluicemockbedrockapikey$/],
  ] as const) {
    test(`${model}: the mock accepts the request`, async () => {
      const tag = uniqueTag(model);
      const res = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: tag }] });
      assert.equal(res.choices[0].message.content, TEXT12);
      const rec = await recordFor(mock, tag);
      assert.match(String(rec.headers.authorization), expect);
      if (model === 'temp' || model === 'profile') assert.equal(rec.headers['x-amz-security-token'], MOCK_AWS_SESSION_TOKEN);
    });
  }

  test('a wrong secret: a clear 403 naming the provider, in each client\'s dialect; the secret never appears', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'wrong', messages: [{ role: 'user', content: 'x' }] }), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 403);
      assert.match(e.message, /InvalidSignatureException/);
      assert.match(e.message, /provider br-wrong/);
      assert.doesNotMatch(e.message, /not-the-secret/);
      return true;
    });
    await assert.rejects(anthropic.messages.create({ model: 'wrong', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: InstanceType<typeof Anthropic.APIError>) => {
      assert.equal(e.status, 403);
      assert.match(e.message, /br-wrong/);
      return true;
    });
    assert.ok(!sluice.stdout.join('\n').includes('not-the-secret'), 'not in the logs');
    assert.ok(!sluice.stdout.join('\n').includes(MOCK_AWS_SECRET_ACCESS_KEY), 'no secret in the logs');
  });
});

describe('faults', () => {
  test('throttling before the stream fails over to the next target', async () => {
    const tag = uniqueTag('failover');
    const stream = await openai.chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: tag }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, TEXT12);
    const recs = mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes(tag));
    assert.equal(recs.length, 2, 'the throttled target, then the next');
    assert.match(recs[0].path, /fault=status/);
    const log = await sluice.waitForRecord((r) => r.model === 'failover' && r.status === 200);
    assert.equal(log.attempts, 2);
  });

  test('an exception frame mid-stream ends the OpenAI stream with an error; the next request works', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'x [[mock fault=error_mid after=4 style=throttling]]' }],
      stream: true,
    });
    let text = '';
    await assert.rejects(
      async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      },
      (e: Error) => /Too many requests/.test(e.message),
    );
    assert.equal(text, mockText(3).join(''), 'what came before the exception reached the client');
    const next = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'again' }] });
    assert.equal(next.choices[0].message.content, TEXT12);
  });

  test('an exception frame mid-stream ends the Anthropic stream with an error event', async () => {
    const stream = anthropic.messages.stream({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'x [[mock fault=error_mid after=4]]' }] });
    await assert.rejects(stream.finalMessage(), (e: Error) => /model stream failed/i.test(e.message));
  });

  test('a corrupted CRC ends the stream with upstream_malformed', async () => {
    const tag = uniqueTag('crc');
    const stream = await openai.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: `${tag} [[mock fault=malformed after=4]]` }], stream: true });
    await assert.rejects(
      async () => {
        for await (const _ of stream) void _;
      },
      (e: Error) => /could not be parsed: message checksum mismatch/.test(e.message),
    );
    const log = await sluice.waitForRecord((r) => r.error_kind === 'upstream_malformed' || r.errorCode === 'upstream_malformed' || JSON.stringify(r).includes('upstream_malformed'));
    assert.ok(log);
  });
});

describe('count tokens over bedrock (CountTokens)', () => {
  test("@anthropic-ai/sdk messages.countTokens gets the mock's exact count; the request is Converse-shaped and signed", async () => {
    const tag = uniqueTag('count');
    const res = await anthropic.messages.countTokens({
      model: 'claude',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: tag },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'And the weather?' },
      ],
    });
    // The mock counts what its usage would report: 10 + the three messages.
    assert.equal(res.input_tokens, 13);
    const rec = await recordFor(mock, tag);
    assert.match(rec.path, /\/model\/us\.anthropic\.claude-sonnet-4-5-20250929-v1%3A0\/count-tokens$/);
    assert.match(String(rec.headers.authorization), /Credential=AKIASLUICEMOCKKEY001\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    const converse = (rec.body as { input: { converse: { messages: unknown[]; system: unknown } } }).input.converse;
    assert.equal(converse.messages.length, 3);
    assert.deepEqual(converse.system, [{ text: 'Be brief.' }]);
  });

  test('the count is the upstream\'s (not marked estimated); a throttled CountTokens falls back to the local counter, marked', async () => {
    const ask = (model: string): Promise<Response> =>
      fetch(`${sluice.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'x', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }] }),
      });
    const exact = await ask('claude');
    assert.equal(exact.status, 200);
    assert.equal(exact.headers.get('x-sluice-token-count'), null);
    assert.deepEqual(await exact.json(), { input_tokens: 11 });
    const local = await ask('failover');
    assert.equal(local.status, 200);
    assert.equal(local.headers.get('x-sluice-token-count'), 'estimated');
  });
});
