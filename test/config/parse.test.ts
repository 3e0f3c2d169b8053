import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, PROVIDER_PRESETS, normalizeBaseUrl, parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { providerTypes } from '../../src/protocols/index.ts';

const env = {};

/** The problems parseConfig reports for `yaml` (fails the test if it parses). */
function problemsOf(yaml: string, opts: { env?: Record<string, string | undefined> } = {}): string[] {
  try {
    parseConfig(yaml, { env: opts.env ?? env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the config to be rejected');
}

const minimal = `
providers:
  local: { type: openai, base_url: http://127.0.0.1:8000/v1 }
models:
  fast:
    targets:
      - { provider: local, model: qwen }
`;

describe('defaults', () => {
  test('an empty file gets every default, the demo provider and the demo model', () => {
    const config = parseConfig('', { env, source: 'x.yaml' });
    assert.deepEqual(config.server, {
      host: '127.0.0.1',
      port: 4000,
      keepaliveMs: 15_000,
      maxBodyBytes: 20 * 1024 * 1024,
      drainTimeoutMs: 300_000,
      workers: 1,
    });
    assert.deepEqual(config.retries, { attempts: 2, backoffMs: 250, maxBackoffMs: 5000 });
    assert.deepEqual(config.breaker, { failureThreshold: 5, cooldownMs: 30_000 });
    assert.deepEqual(config.logging, { level: 'info', tap: 0 });
    assert.deepEqual(config.auth, { keys: [] });
    assert.equal(config.store, 'sqlite:./sluice.db');
    assert.equal(config.redis, undefined);
    assert.equal(config.source, 'x.yaml');
    assert.deepEqual(Object.keys(config.providers), ['demo']);
    assert.equal(config.providers.demo.type, 'demo');
    assert.equal(config.providers.demo.baseUrl, '');
    assert.deepEqual(config.models.demo.targets, [{ provider: 'demo', model: 'demo', weight: 1 }]);
  });

  test('provider, model and target defaults', () => {
    const config = parseConfig(minimal, { env });
    const local = config.providers.local;
    assert.deepEqual(local.timeouts, { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 900_000 });
    assert.equal(local.streaming, 'native');
    assert.deepEqual(local.headers, {});
    assert.deepEqual(local.quirks, {});
    assert.equal(local.apiKey, undefined);
    assert.equal(config.models.fast.strategy, 'weighted');
    assert.deepEqual(config.models.fast.targets, [{ provider: 'local', model: 'qwen', weight: 1 }]);
    // demo provider is always there, the demo model only when no model is configured.
    assert.equal(config.providers.demo.builtin, true);
    assert.deepEqual(Object.keys(config.models), ['fast']);
  });

  test('default base_url per type', () => {
    const config = parseConfig(
      `providers:\n  o: { type: openai }\n  a: { type: anthropic }\n  g: { type: gemini }\n  d: { type: demo }\n`,
      { env },
    );
    assert.equal(config.providers.o.baseUrl, 'https://api.openai.com/v1');
    assert.equal(config.providers.a.baseUrl, 'https://api.anthropic.com');
    assert.equal(config.providers.g.baseUrl, 'https://generativelanguage.googleapis.com');
    assert.equal(config.providers.d.baseUrl, '');
  });

  test('the SPEC §2 example parses with every field resolved', () => {
    const config = parseConfig(
      `
server:
  host: 0.0.0.0
  port: 8080
  keepalive: 5s
  max_body: 1mb
  drain_timeout: 10m
  workers: auto
providers:
  anthropic:
    type: anthropic
    base_url: https://api.anthropic.com
    api_key: \${ANTHROPIC_API_KEY}
  azure-claude:
    type: anthropic
    base_url: https://example.services.ai.azure.com/anthropic
    api_key: \${AZURE_KEY}
    streaming: simulate
  local:
    type: openai
    base_url: http://127.0.0.1:8000/v1
    headers: { x-extra: "1", x-num: 2 }
    timeouts: { connect: 5s, first_byte: 120s, idle: 30s, total: 15m }
    default_max_tokens: 8192
    models: [qwen2.5]
models:
  claude-sonnet:
    strategy: fallback
    targets:
      - { provider: anthropic, model: claude-sonnet-4-5-20250929, weight: 3 }
      - { provider: azure-claude, model: claude-sonnet-4-5, weight: 1 }
retries: { attempts: 3, backoff: 100ms, max_backoff: 2s }
breaker: { failure_threshold: 2, cooldown: 1m }
auth:
  admin_key: admin-key
  keys:
    - { name: ci, key: "\${SLUICE_CI_KEY}", models: [claude-sonnet, local/qwen2.5], rpm: 600, tpm: 10000, concurrency: 4 }
store: postgres://sluice@db/sluice
redis: redis://127.0.0.1:6379
logging: { level: debug, tap: 20 }
`,
      { env: { ANTHROPIC_API_KEY: 'a-key', AZURE_KEY: 'z-key', SLUICE_CI_KEY: 'ci-key' } },
    );
    assert.deepEqual(config.server, { host: '0.0.0.0', port: 8080, keepaliveMs: 5000, maxBodyBytes: 1024 * 1024, drainTimeoutMs: 600_000, workers: 'auto' });
    assert.equal(config.auth.adminKey, 'admin-key');
    assert.equal(config.providers.anthropic.apiKey, 'a-key');
    assert.equal(config.providers['azure-claude'].streaming, 'simulate');
    assert.deepEqual(config.providers.local.headers, { 'x-extra': '1', 'x-num': '2' });
    assert.deepEqual(config.providers.local.timeouts, { connectMs: 5000, firstByteMs: 120_000, idleMs: 30_000, totalMs: 900_000 });
    assert.equal(config.providers.local.defaultMaxTokens, 8192);
    assert.deepEqual(config.providers.local.models, ['qwen2.5']);
    assert.equal(config.models['claude-sonnet'].strategy, 'fallback');
    assert.deepEqual(config.models['claude-sonnet'].targets.map((t) => t.weight), [3, 1]);
    assert.deepEqual(config.retries, { attempts: 3, backoffMs: 100, maxBackoffMs: 2000 });
    assert.deepEqual(config.breaker, { failureThreshold: 2, cooldownMs: 60_000 });
    assert.deepEqual(config.auth.keys, [
      { name: 'ci', key: 'ci-key', models: ['claude-sonnet', 'local/qwen2.5'], rpm: 600, tpm: 10000, concurrency: 4 },
    ]);
    assert.equal(config.store, 'postgres://sluice@db/sluice');
    assert.equal(config.redis, 'redis://127.0.0.1:6379');
    assert.deepEqual(config.logging, { level: 'debug', tap: 20 });
    assert.equal(config.models.demo, undefined);
    assert.equal(config.providers.demo.type, 'demo');
  });

  test('raising backoff alone lifts the default ceiling instead of failing', () => {
    const config = parseConfig('retries: { backoff: 10s }\n', { env });
    assert.deepEqual(config.retries, { attempts: 2, backoffMs: 10_000, maxBackoffMs: 10_000 });
  });

  test('an empty section falls back to its defaults', () => {
    const config = parseConfig('server:\nretries:\n', { env });
    assert.equal(config.server.port, 4000);
    assert.equal(config.retries.attempts, 2);
  });
});

describe('${VAR} substitution', () => {
  test('set variable, default, default for empty, escape, in lists and nested values', () => {
    const config = parseConfig(
      `
server: { port: "\${PORT:-4100}", host: "\${HOST:-localhost}" }
providers:
  p:
    type: openai
    base_url: http://\${UP_HOST}:8000/v1
    api_key: \${KEY}
    headers: { x-lit: "$\${NOT_A_VAR}", x-empty: "\${EMPTY:-fallback}" }
    models: ["\${M1}", fixed]
`,
      { env: { UP_HOST: '10.0.0.2', KEY: 'secret-key', HOST: '0.0.0.0', EMPTY: '', M1: 'llama' } },
    );
    assert.equal(config.server.port, 4100);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.providers.p.baseUrl, 'http://10.0.0.2:8000/v1');
    assert.equal(config.providers.p.apiKey, 'secret-key');
    assert.deepEqual(config.providers.p.headers, { 'x-lit': '${NOT_A_VAR}', 'x-empty': 'fallback' });
    assert.deepEqual(config.providers.p.models, ['llama', 'fixed']);
  });

  test('quoting makes no difference', () => {
    const plain = parseConfig('providers:\n  p:\n    type: openai\n    api_key: ${K}\n', { env: { K: 'v' } });
    const quoted = parseConfig('providers:\n  p:\n    type: openai\n    api_key: "${K}"\n', { env: { K: 'v' } });
    assert.equal(plain.providers.p.apiKey, 'v');
    assert.equal(quoted.providers.p.apiKey, 'v');
  });

  test('defaults to process.env', () => {
    process.env.SLUICE_TEST_CONFIG_VAR = 'from-process';
    try {
      const config = parseConfig('providers:\n  p:\n    type: openai\n    api_key: ${SLUICE_TEST_CONFIG_VAR}\n');
      assert.equal(config.providers.p.apiKey, 'from-process');
    } finally {
      delete process.env.SLUICE_TEST_CONFIG_VAR;
    }
  });

  test('an unset variable without default names the variable and the path, once', () => {
    const problems = problemsOf('server:\n  port: ${MISSING_PORT}\nproviders:\n  p: { type: openai, api_key: "${NO_KEY}" }\n');
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /^server\.port: environment variable MISSING_PORT is not set/);
    assert.match(problems[1], /^providers\.p\.api_key: environment variable NO_KEY is not set/);
  });

  test('malformed references are problems', () => {
    const problems = problemsOf('store: "${1BAD}"\nredis: "redis://${UNCLOSED"\n');
    assert.deepEqual(problems, ['store: malformed variable reference "${1BAD}"', 'redis: unclosed "${" in value']);
  });

  test('an empty api_key means no key', () => {
    const config = parseConfig('providers:\n  p: { type: openai, api_key: "${K:-}" }\n', { env });
    assert.equal(config.providers.p.apiKey, undefined);
  });
});

describe('unknown fields', () => {
  test('rejected at every depth, with the full path and a suggestion', () => {
    const problems = problemsOf(`
servre: {}
server: { hots: x }
providers:
  openai:
    type: openai
    bse_url: https://api.openai.com/v1
    timeouts: { firstbyte: 1s }
models:
  fast:
    targets:
      - { provider: openai, model: gpt-4o, wieght: 2 }
auth:
  keys:
    - { name: ci, key: k1, rmp: 5 }
`);
    assert.deepEqual(problems, [
      'servre: unknown field (did you mean "server"?)',
      'server.hots: unknown field (did you mean "host"?)',
      'providers.openai.timeouts.firstbyte: unknown field (did you mean "first_byte"?)',
      'providers.openai.bse_url: unknown field (did you mean "base_url"?)',
      'models.fast.targets[0].wieght: unknown field (did you mean "weight"?)',
      'auth.keys[0].rmp: unknown field (did you mean "rpm"?)',
    ]);
  });

  test('no suggestion when nothing is close', () => {
    assert.deepEqual(problemsOf('logging: { colour: true }\n'), ['logging.colour: unknown field']);
  });
});

describe('cross-field checks', () => {
  test('unknown target provider with the closest name suggested', () => {
    const problems = problemsOf(`
providers:
  openai: { type: openai }
models:
  fast:
    targets:
      - { provider: openai, model: gpt-4o }
      - { provider: opnai, model: gpt-4o }
      - { provider: zzzzzz, model: gpt-4o }
`);
    assert.deepEqual(problems, [
      'models.fast.targets[1].provider: unknown provider "opnai" (did you mean "openai"?)',
      'models.fast.targets[2].provider: unknown provider "zzzzzz"',
    ]);
  });

  test('the built-in demo provider can be a target', () => {
    const config = parseConfig('models:\n  d: { targets: [ { provider: demo, model: anything } ] }\n', { env });
    assert.equal(config.models.d.targets[0].provider, 'demo');
  });

  test('weights, target counts, ports, strategies', () => {
    const problems = problemsOf(`
server: { port: 70000 }
providers:
  p: { type: openai }
models:
  a: { targets: [] }
  b: { targets: [ { provider: p, model: m, weight: -1 } ] }
  c: { targets: [ { provider: p, model: m, weight: 0 } ] }
  d: { strategy: random, targets: [ { provider: p, model: m } ] }
`);
    assert.deepEqual(problems, [
      'server.port: must be at most 65535',
      'models.a.targets: must have at least 1 item',
      'models.b.targets[0].weight: must be at least 0',
      'models.c.targets: every weight is 0; the weighted strategy needs one above 0',
      'models.d.strategy: must be one of weighted | fallback | least-busy | latency, got "random"',
    ]);
  });

  test('fallback with zero weights is fine', () => {
    const config = parseConfig('models:\n  c: { strategy: fallback, targets: [ { provider: demo, model: m, weight: 0 } ] }\n', { env });
    assert.equal(config.models.c.targets[0].weight, 0);
  });

  test('keys: unique names and values, models that exist; the key is never echoed', () => {
    const problems = problemsOf(`
models:
  claude-sonnet: { targets: [ { provider: demo, model: m } ] }
auth:
  keys:
    - { name: ci, key: super-secret-value-1, models: [claude-sonnet, demo/x, "demo/*"] }
    - { name: ci, key: super-secret-value-1, models: [claude-sonet, nope/x] }
`);
    assert.deepEqual(problems, [
      'auth.keys[1].name: duplicate key name "ci" (also auth.keys[0])',
      'auth.keys[1].key: same key as auth.keys[0]',
      'auth.keys[1].models[0]: unknown model "claude-sonet" (did you mean "claude-sonnet"?)',
      'auth.keys[1].models[1]: unknown provider "nope" in "nope/x"',
    ]);
    assert.ok(problems.every((p) => !p.includes('super-secret-value-1')));
  });

  test('type errors are worded for YAML', () => {
    const problems = problemsOf(`
server: { port: eighty, keepalive: [1] }
providers:
  p: { type: openai, models: model-a, inline_think_tags: yes }
models: [a, b]
`);
    assert.deepEqual(problems, [
      'models: expected a mapping, got a list',
      'server.port: expected a number, got a string',
      'server.keepalive: expected a duration such as 250ms, 15s or 10m',
      'providers.p.models: expected a list, got a string',
      'providers.p.inline_think_tags: expected true or false, got a string',
    ]);
  });

  test('store and redis schemes, without echoing passwords', () => {
    const problems = problemsOf('store: mysql://u:hunter2-password@h/db\nredis: http://:pw-123456@h\n');
    assert.deepEqual(problems, [
      'store: unsupported store ("mysql:"); use sqlite:PATH or postgres://…',
      'redis: must be a redis://, rediss://, redis+cluster:// or rediss+cluster:// URL (got "http:")',
    ]);
  });

  test('a postgres store or OTLP endpoint that cannot be read as a URL is a check problem, not a serve crash quoting it', () => {
    const problems = problemsOf(
      'store: "postgres://u:pg-secret-1@:badport/db"\ntelemetry: { otlp: { endpoint: "http://u:otel-secret-2@collector:99999" } }\n',
    );
    assert.deepEqual(problems, [
      'store: not a valid postgres:// URL: check its host and port (postgres://USER:PASSWORD@HOST:PORT/DB)',
      'telemetry.otlp.endpoint: must be an http:// or https:// URL (the collector base URL, e.g. http://127.0.0.1:4318)',
    ]);
    // What pg itself reads stays valid: socket forms, no host, an encoded socket path, a space in a password.
    for (const store of ['postgres:///db', 'postgres://u@/db', 'postgresql://u@%2Fvar%2Frun%2Fpostgresql/db', 'postgres://u:p w@h:5432/db?sslmode=require']) {
      assert.equal(parseConfig(`store: "${store}"\n`).store, store);
    }
  });

  test("a provider's field problems do not hide the checks of its other fields", () => {
    assert.deepEqual(problemsOf('providers:\n  a: { type: anthropic, base_url: "ftp://x", timeouts: { connect: fast }, colour: red }\n'), [
      'providers.a.timeouts.connect: invalid duration "fast" (use e.g. 250ms, 15s, 10m, 1h, or a number of milliseconds)',
      'providers.a.colour: unknown field',
      'providers.a.base_url: must be an http:// or https:// URL, not ftp://',
    ]);
  });

  test('a Redis Cluster by its seed nodes; several hosts need the cluster scheme; no password echoed', () => {
    const config = parseConfig('redis: "redis+cluster://:pw-secret-1@127.0.0.1:7000,127.0.0.1:7001"\n');
    assert.equal(config.redis, 'redis+cluster://:pw-secret-1@127.0.0.1:7000,127.0.0.1:7001');
    const problems = problemsOf('redis: "redis://:pw-secret-2@h1:6379,h2:6379"\n');
    assert.deepEqual(problems, ['redis: names several hosts: use redis+cluster:// for a cluster (got "redis:")']);
  });

  test('a secret that ends up in a message is scrubbed', () => {
    // A misplaced reference puts the API key where an enum is expected, whose message echoes the value.
    const problems = problemsOf('providers:\n  p: { type: openai, api_key: "${K}", streaming: "${K}" }\n', {
      env: { K: 'sk-very-secret-1234' },
    });
    assert.deepEqual(problems, ['providers.p.streaming: must be one of native | simulate | always, got "***"']);
  });

  test('every problem is collected, across sections', () => {
    const problems = problemsOf(`
server: { keepalive: 5 parsecs }
providers:
  p: { type: openai, timeouts: { idle: 0 } }
  q: { preset: olama }
models:
  m: { strategy: wieghted, targets: [ { provider: pp, model: x } ] }
retries: { backoff: 10s, max_backoff: 1s }
logging: { level: verbose }
`);
    assert.deepEqual(problems, [
      'server.keepalive: invalid duration "5 parsecs" (use e.g. 250ms, 15s, 10m, 1h, or a number of milliseconds)',
      'providers.p.timeouts.idle: must be greater than 0',
      'providers.q.preset: unknown preset "olama" (did you mean "ollama"?)',
      'models.m.strategy: must be one of weighted | fallback | least-busy | latency, got "wieghted" (did you mean "weighted"?)',
      'models.m.targets[0].provider: unknown provider "pp" (did you mean "p"?)',
      'retries.backoff: 10s is above max_backoff 1s',
      'logging.level: must be one of trace | debug | info | warn | error | fatal | silent, got "verbose"',
    ]);
  });

  test('ConfigError lists the problems in its message', () => {
    try {
      parseConfig('bogus: 1\n', { env });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['bogus: unknown field']);
      assert.match(err.message, /invalid config \(1 problem\):\n {2}bogus: unknown field/);
    }
  });

  test('odd names are bracketed in paths', () => {
    const problems = problemsOf('models:\n  "gpt-4.1": { targets: [] }\nproviders:\n  "a/b": { type: openai }\n');
    assert.deepEqual(problems, [
      'providers["a/b"]: provider names cannot contain "/" (clients address models as provider/model)',
      'models["gpt-4.1"].targets: must have at least 1 item',
    ]);
  });

  test('YAML syntax errors carry file, line and column', () => {
    const problems = (() => {
      try {
        parseConfig('a: 1\na: 2\n', { env, source: 'sluice.yaml' });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    assert.deepEqual(problems, ['sluice.yaml:2:1: Map keys must be unique']);
  });

  test('a cascade of YAML errors is capped, and ${} inside flow maps gets a hint', () => {
    const problems = problemsOf('server: { port: ${PORT} }\nproviders: [ {\n');
    assert.ok(problems.length <= 4, problems.join('\n'));
    assert.match(problems[0], /^\(config\):1:\d+: .*\(quote "\$\{…\}" values inside \{ \} or \[ \]\)$/);
  });

  test('the root must be a mapping', () => {
    assert.deepEqual(problemsOf('- a\n- b\n'), ['(root): expected a mapping of sections (server, providers, models, …)']);
  });
});

describe('presets', () => {
  const build = (yaml: string, e: Record<string, string> = {}): Config => parseConfig(yaml, { env: e });

  test('a preset supplies type, base URL and quirks', () => {
    const config = build(`
providers:
  local: { preset: ollama }
  mm: { preset: minimax-openai, api_key: k }
  mma: { preset: minimax }
  or: { preset: openrouter }
  v: { preset: vllm }
  l: { preset: llamacpp }
  e: { preset: exo }
`);
    assert.equal(config.providers.local.type, 'openai');
    assert.equal(config.providers.local.baseUrl, 'http://127.0.0.1:11434/v1');
    assert.equal(config.providers.local.preset, 'ollama');
    assert.equal(config.providers.mm.type, 'openai');
    assert.equal(config.providers.mm.baseUrl, 'https://api.minimax.io/v1');
    assert.equal(config.providers.mm.quirks.inlineThinkTags, true);
    assert.equal(config.providers.mm.quirks.maxTokensField, 'max_completion_tokens');
    assert.equal(config.providers.mm.quirks.stripStrict, true);
    assert.equal(config.providers.mma.type, 'anthropic');
    assert.equal(config.providers.mma.baseUrl, 'https://api.minimax.io/anthropic');
    assert.deepEqual(config.providers.mma.quirks.temperatureRange, [0.01, 1]);
    assert.equal(config.providers.or.baseUrl, 'https://openrouter.ai/api/v1');
    assert.equal(config.providers.v.baseUrl, 'http://127.0.0.1:8000/v1');
    assert.equal(config.providers.l.baseUrl, 'http://127.0.0.1:8080/v1');
    assert.equal(config.providers.e.baseUrl, 'http://127.0.0.1:52415/v1');
  });

  test('provider fields override the preset; quirks merge key by key', () => {
    const config = build(`
providers:
  mm:
    preset: minimax-openai
    base_url: https://api.minimaxi.com/v1
    inline_think_tags: false
    buffer_tool_calls: true
    headers: { x-a: b }
  local:
    preset: ollama
    base_url: http://gpu-box:11434/v1
    supports_prefill: true
    auth_header: x-api-key
    temperature_range: [0, 2]
`);
    const mm = config.providers.mm;
    assert.equal(mm.baseUrl, 'https://api.minimaxi.com/v1');
    assert.deepEqual(mm.quirks, {
      inlineThinkTags: false,
      maxTokensField: 'max_completion_tokens',
      stripStrict: true,
      temperatureRange: [0.01, 1],
      bufferToolCalls: true,
    });
    assert.deepEqual(mm.headers, { 'x-a': 'b' });
    assert.deepEqual(config.providers.local.quirks, { supportsPrefill: true, authHeader: 'x-api-key', temperatureRange: [0, 2] });
  });

  test('azure-anthropic needs its resource URL and normalises a pasted Target URI', () => {
    assert.deepEqual(problemsOf('providers:\n  az: { preset: azure-anthropic }\n'), [
      'providers.az.base_url: required with preset "azure-anthropic" (e.g. https://<resource>.services.ai.azure.com/anthropic)',
    ]);
    const config = build(
      'providers:\n  az: { preset: azure-anthropic, base_url: "https://r.services.ai.azure.com/anthropic/v1/messages", api_key: k }\n',
    );
    assert.equal(config.providers.az.type, 'anthropic');
    assert.equal(config.providers.az.baseUrl, 'https://r.services.ai.azure.com/anthropic');
    assert.equal(config.providers.az.quirks.authHeader, undefined);
  });

  test('preset problems: unknown name, conflicting type, missing type', () => {
    assert.deepEqual(
      problemsOf('providers:\n  a: { preset: olama }\n  b: { preset: minimax, type: openai }\n  c: { base_url: "http://x" }\n  d: { preset: nothing-like-it }\n'),
      [
        'providers.a.preset: unknown preset "olama" (did you mean "ollama"?)',
        'providers.b.type: "openai" conflicts with preset "minimax", which is type anthropic',
        // The registry's provider types, in registry order (every dialect that lands adds its own).
        `providers.c.type: required (${providerTypes.map((t) => t.type).join(' | ')}) unless a preset is given`,
        `providers.d.preset: unknown preset "nothing-like-it" (known: ${Object.keys(PROVIDER_PRESETS).join(', ')})`,
      ],
    );
  });

  test('every preset named in the brief exists', () => {
    for (const name of ['openrouter', 'azure-anthropic', 'minimax', 'minimax-openai', 'ollama', 'vllm', 'llamacpp', 'exo', 'openai', 'anthropic', 'gemini']) {
      assert.ok(Object.hasOwn(PROVIDER_PRESETS, name), name);
    }
    assert.deepEqual(problemsOf('providers:\n  a: { preset: toString }\n').length, 1);
  });
});

describe('base_url normalisation', () => {
  test('trailing slash and pasted endpoint paths are cut back to the base', () => {
    assert.equal(normalizeBaseUrl('openai', 'https://api.openai.com/v1/'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('openai', 'http://h:8000/v1/chat/completions'), 'http://h:8000/v1');
    assert.equal(normalizeBaseUrl('openai', 'http://h:8000/v1/chat/completions/'), 'http://h:8000/v1');
    assert.equal(normalizeBaseUrl('anthropic', 'https://api.anthropic.com/v1'), 'https://api.anthropic.com');
    assert.equal(normalizeBaseUrl('anthropic', 'https://api.anthropic.com/v1/'), 'https://api.anthropic.com');
    assert.equal(normalizeBaseUrl('anthropic', 'https://x.services.ai.azure.com/anthropic/v1/messages'), 'https://x.services.ai.azure.com/anthropic');
    assert.equal(normalizeBaseUrl('anthropic', 'https://api.minimax.io/anthropic'), 'https://api.minimax.io/anthropic');
    assert.equal(normalizeBaseUrl('gemini', 'https://generativelanguage.googleapis.com/v1beta/'), 'https://generativelanguage.googleapis.com');
    // The OpenAI base keeps its /v1: the codec appends only /chat/completions.
    assert.equal(normalizeBaseUrl('openai', 'https://openrouter.ai/api/v1'), 'https://openrouter.ai/api/v1');
  });

  test('applied while parsing; invalid URLs are problems', () => {
    const config = parseConfig('providers:\n  a: { type: anthropic, base_url: "https://api.anthropic.com/v1/messages" }\n', { env });
    assert.equal(config.providers.a.baseUrl, 'https://api.anthropic.com');
    assert.deepEqual(problemsOf('providers:\n  a: { type: openai, base_url: "api.openai.com/v1" }\n  b: { type: openai, base_url: "ftp://x/v1" }\n'), [
      'providers.a.base_url: must be an absolute http:// or https:// URL',
      'providers.b.base_url: must be an http:// or https:// URL, not ftp://',
    ]);
  });
});

describe('operations settings (issue 14)', () => {
  test('server.workers: a number or auto; drain_timeout a duration; continue_on_failure per model; an empty admin key is none', () => {
    const config = parseConfig(
      'server: { workers: "3", drain_timeout: 90s }\nauth: { admin_key: "${ADMIN:-}" }\nmodels:\n  m: { targets: [{ provider: demo, model: x }], continue_on_failure: true }\n',
      { env: {} },
    );
    assert.equal(config.server.workers, 3);
    assert.equal(config.server.drainTimeoutMs, 90_000);
    assert.equal(config.models.m.continueOnFailure, true);
    assert.equal(config.auth.adminKey, undefined);
    assert.equal(parseConfig('server: { workers: auto }\n', { env: {} }).server.workers, 'auto');
    assert.deepEqual(problemsOf('server: { workers: 0 }\n'), ['server.workers: expected a number of processes from 1 to 1024, or auto']);
    assert.deepEqual(problemsOf('server: { workers: many }\n'), ['server.workers: expected a number of processes from 1 to 1024, or auto']);
  });
});
