import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, builtinDemoProvider, loadConfigFile, resolveConfig, zeroConfig } from '../../src/config/index.ts';

describe('zeroConfig', () => {
  test('with no keys: only the demo provider and model, all defaults', () => {
    const config = zeroConfig({});
    assert.equal(config.source, '(zero-config)');
    assert.deepEqual(Object.keys(config.providers), ['demo']);
    assert.deepEqual(config.providers.demo, builtinDemoProvider());
    assert.deepEqual(config.models.demo.targets, [{ provider: 'demo', model: 'demo', weight: 1 }]);
    assert.equal(config.server.port, 4000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.store, 'sqlite:./sluice.db');
    assert.deepEqual(config.auth.keys, []);
  });

  test('one provider per vendor key in the environment', () => {
    const config = zeroConfig({
      OPENAI_API_KEY: 'o-key',
      ANTHROPIC_API_KEY: 'a-key',
      GEMINI_API_KEY: 'g-key',
      OPENROUTER_API_KEY: 'r-key',
      UNRELATED: 'x',
    });
    assert.deepEqual(Object.keys(config.providers).sort(), ['anthropic', 'demo', 'gemini', 'openai', 'openrouter']);
    assert.deepEqual(
      Object.values(config.providers)
        .filter((p) => p.type !== 'demo')
        .map((p) => [p.name, p.type, p.baseUrl, p.apiKey, p.preset]),
      [
        ['openai', 'openai', 'https://api.openai.com/v1', 'o-key', 'openai'],
        ['anthropic', 'anthropic', 'https://api.anthropic.com', 'a-key', 'anthropic'],
        ['gemini', 'gemini', 'https://generativelanguage.googleapis.com', 'g-key', 'gemini'],
        ['openrouter', 'openai', 'https://openrouter.ai/api/v1', 'r-key', 'openrouter'],
      ],
    );
    // Direct `provider/model` addressing only: no extra aliases.
    assert.deepEqual(Object.keys(config.models), ['demo']);
  });

  test('empty keys are ignored; SDK base-URL variables are honoured and normalised', () => {
    const config = zeroConfig({ OPENAI_API_KEY: '', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999/v1/' });
    assert.equal(config.providers.openai, undefined);
    assert.equal(config.providers.anthropic.baseUrl, 'http://127.0.0.1:9999');
    assert.throws(() => zeroConfig({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'not a url' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['OPENAI_BASE_URL: must be an absolute http:// or https:// URL']);
      return true;
    });
  });
});

describe('resolveConfig / loadConfigFile', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test('--config wins, relative to cwd', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sluice.yaml'), 'server: { port: 1111 }\n');
    writeFileSync(join(dir, 'other.yaml'), 'server: { port: 2222 }\n');
    const config = resolveConfig({ configPath: 'other.yaml', cwd: dir, env: {} });
    assert.equal(config.server.port, 2222);
    assert.equal(config.source, join(dir, 'other.yaml'));
  });

  test('else ./sluice.yaml if present', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sluice.yaml'), 'server: { port: 1111 }\nproviders:\n  p: { type: openai, api_key: "${K}" }\n');
    const config = resolveConfig({ cwd: dir, env: { K: 'v', OPENAI_API_KEY: 'ignored' } });
    assert.equal(config.server.port, 1111);
    assert.equal(config.providers.p.apiKey, 'v');
    // A file config does not pick up env vendor keys; it gets the demo provider and, with no models, the demo model.
    assert.deepEqual(Object.keys(config.providers).sort(), ['demo', 'p']);
    assert.deepEqual(Object.keys(config.models), ['demo']);
  });

  test('else zero-config', () => {
    const dir = tempDir();
    const config = resolveConfig({ cwd: dir, env: { GEMINI_API_KEY: 'g' } });
    assert.equal(config.source, '(zero-config)');
    assert.deepEqual(Object.keys(config.providers).sort(), ['demo', 'gemini']);
  });

  test('an unreadable or missing file is a ConfigError problem', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'adir'));
    for (const [path, message] of [
      [join(dir, 'missing.yaml'), 'file not found'],
      [join(dir, 'adir'), 'is a directory, not a config file'],
    ]) {
      assert.throws(() => loadConfigFile(path, {}), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, [`${path}: ${message}`]);
        return true;
      });
    }
    assert.throws(() => resolveConfig({ configPath: 'missing.yaml', cwd: dir, env: {} }), ConfigError);
  });
});
