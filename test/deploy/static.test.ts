// SPEC §10 without a Docker engine: the Dockerfile, the compose file and the example configs are
// checked statically (and, where it needs no container, for real: the HEALTHCHECK command against
// a running sluice, the example config served by sluice, `sluice check` on every config here).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { parseConfig, parseDuration } from '../../src/config/index.ts';
import { NODE, ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { copySources, execForm, parseDockerfile, type Stage } from './dockerfile.ts';

const DEPLOY = join(ROOT, 'deploy');
const read = (file: string): string => readFileSync(join(DEPLOY, file), 'utf8');
const dockerfile = parseDockerfile(read('Dockerfile'));
const finalStage: Stage = dockerfile.stages[dockerfile.stages.length - 1]!;
const all = (keyword: string, stage: Stage = finalStage) => stage.instructions.filter((i) => i.keyword === keyword);
const one = (keyword: string, stage: Stage = finalStage) => {
  const found = all(keyword, stage);
  assert.equal(found.length, 1, `exactly one ${keyword} in the final stage`);
  return found[0]!;
};
const healthcheckCommand = (): string[] => {
  const args = one('HEALTHCHECK').args;
  const at = args.search(/\bCMD\b/);
  assert.ok(at >= 0, 'HEALTHCHECK … CMD …');
  return execForm(args.slice(at + 3));
};
const command = (): string[] => [...execForm(one('ENTRYPOINT').args), ...execForm(one('CMD').args)];

function sluiceCli(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; out: string } {
  const r = spawnSync(NODE, [join(ROOT, 'src/cli/entry.js'), ...args], {
    cwd: DEPLOY,
    env: { ...process.env, SLUICE_API_KEY: undefined, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('deploy/Dockerfile', () => {
  test('multi-stage on node:24 slim', () => {
    assert.ok(dockerfile.stages.length >= 2, 'a dependency stage and a runtime stage');
    for (const s of dockerfile.stages) assert.match(s.from, /^node:24(\.[\d.]+)?-(bookworm-|trixie-)?slim$/, `FROM ${s.from}`);
  });

  test('installs production dependencies only, with npm ci', () => {
    const runs = dockerfile.stages.flatMap((s) => all('RUN', s)).map((r) => r.args);
    const ci = runs.filter((r) => /\bnpm ci\b/.test(r));
    assert.equal(ci.length, 1, 'one npm ci');
    assert.match(ci[0]!, /--omit=dev\b/, 'the pinned `node` devDependency and the dev tools stay out of the image');
    assert.ok(!runs.some((r) => /\bnpm (install|i)\b/.test(r)), 'npm install would not honour the lockfile');
  });

  test('runs as the unprivileged node user', () => {
    const users = all('USER');
    assert.ok(users.length > 0, 'a USER instruction in the final stage');
    const user = users[users.length - 1]!;
    assert.ok(!/^(root|0)(:|$)/.test(user.args), `USER ${user.args}`);
    assert.equal(user.args, 'node');
    assert.ok(user.line < one('CMD').line && user.line < one('ENTRYPOINT').line, 'USER before the command');
  });

  test('exposes 4000 and serves on 0.0.0.0 with a config that the image contains', () => {
    assert.deepEqual(all('EXPOSE').map((e) => e.args), ['4000']);
    const cmd = command();
    assert.deepEqual(cmd.slice(0, 5), ['node', '--max-semi-space-size=8', '--no-allocation-site-pretenuring', '/app/src/cli/entry.js', 'serve']);
    assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
    assert.equal(cmd[cmd.indexOf('--port') + 1], '4000');
    const config = cmd[cmd.indexOf('--config') + 1]!;
    const copied = all('COPY').map(copySources).find((c) => c.dest === config);
    assert.ok(copied, `${config} is COPY'd into the image`);
    assert.deepEqual(copied.sources, ['deploy/sluice.example.yaml']);
    assert.equal(one('WORKDIR', dockerfile.stages[0]).args, '/app');
  });

  test('every COPY source exists in the build context and passes the .dockerignore', () => {
    const ignore = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8');
    const allowed = ignore
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    assert.ok(/^\*$/m.test(ignore), 'everything is excluded unless listed');
    let count = 0;
    for (const stage of dockerfile.stages) {
      for (const ins of all('COPY', stage)) {
        const c = copySources(ins);
        if (c.fromStage) {
          assert.ok(dockerfile.stages.some((s) => s.name === c.fromStage), `COPY --from=${c.fromStage}: a stage of that name`);
          continue;
        }
        for (const src of c.sources) {
          count++;
          assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists (context: repository root)`);
          assert.ok(allowed.includes(src.replace(/^\.\//, '').replace(/\/$/, '')), `${src} is let through Dockerfile.dockerignore`);
        }
      }
    }
    assert.ok(count >= 4);
    assert.ok(existsSync(join(ROOT, 'src/cli/entry.js')), 'the ENTRYPOINT script');
  });

  describe('HEALTHCHECK against a real sluice', () => {
    let sluice: SluiceProcess;
    before(async () => {
      sluice = await startSluice();
    });
    after(async () => {
      await sluice?.stop();
    });

    test('uses Node fetch on /healthz: exit 0 when serving, 1 when nothing listens', () => {
      const hc = healthcheckCommand();
      assert.equal(hc[0], 'node', 'slim images have no curl or wget');
      assert.match(hc.join(' '), /fetch\('http:\/\/127\.0\.0\.1:4000\/healthz'\)/);
      const run = (port: number) => {
        const script = hc.map((a) => a.replace('127.0.0.1:4000', `127.0.0.1:${port}`));
        return spawnSync(NODE, script.slice(1), { timeout: 10_000 }).status;
      };
      assert.equal(run(sluice.port), 0);
      assert.equal(run(1), 1);
      assert.match(one('HEALTHCHECK').args, /--interval=\d+s/);
    });
  });
});

describe('production dependencies are enough to run', () => {
  test('every module src/ loads at run time is a Node builtin or a dependency (not a devDependency)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const deps = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      for (const spec of runtimeImports(file)) {
        if (spec.startsWith('.') || spec.startsWith('/')) continue;
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!deps.has(name)) offenders.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
    assert.deepEqual(offenders, [], 'npm ci --omit=dev would leave these imports unresolved in the image');
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml')) as {
    services: Record<string, Record<string, any>>;
    volumes?: Record<string, unknown>;
  };
  const sluice = compose.services.sluice!;
  const redis = compose.services.redis!;

  test('sluice is built from the repository with deploy/Dockerfile', () => {
    const context = posix.join('deploy', sluice.build.context);
    assert.equal(join(ROOT, context), ROOT);
    assert.ok(existsSync(join(ROOT, context, sluice.build.dockerfile)));
    assert.equal(sluice.build.dockerfile, 'deploy/Dockerfile');
    assert.ok((sluice.ports as string[]).some((p) => /(^|:)4000:4000$/.test(p)));
  });

  test('Redis 7 with a healthcheck; sluice waits for it and has its own', () => {
    assert.match(redis.image, /^redis:7(\.|-|$)/);
    assert.deepEqual(redis.healthcheck.test, ['CMD', 'redis-cli', 'ping']);
    assert.equal(sluice.depends_on.redis.condition, 'service_healthy');
    assert.deepEqual(sluice.healthcheck.test, ['CMD', ...healthcheckCommand()], 'same check as the Dockerfile');
    assert.equal(redis.ports, undefined, 'Redis is not published on the host');
  });

  test('the mounted config is the one the image serves, points at the redis service, and is valid', () => {
    const mounts = (sluice.volumes as string[]).map((v) => v.split(':'));
    const config = command()[command().indexOf('--config') + 1];
    const mount = mounts.find(([, target]) => target === config);
    assert.ok(mount, `a file is mounted at ${config}`);
    assert.equal(mount[2], 'ro');
    const file = join(DEPLOY, mount[0]!);
    assert.ok(statSync(file).isFile());
    const yaml = parseYaml(readFileSync(file, 'utf8')) as { redis?: string; auth?: { keys?: unknown[] } };
    assert.equal(yaml.redis, 'redis://redis:6379');
    assert.ok(mounts.some(([, target]) => target === '/data'), 'the store directory is a volume');
    const r = sluiceCli(['check', file], { SLUICE_API_KEY: 'k' });
    assert.equal(r.status, 0, r.out);
  });

  test('the client key is required, since the container listens on 0.0.0.0', () => {
    assert.match(String(sluice.environment.SLUICE_API_KEY), /^\$\{SLUICE_API_KEY:\?.+\}$/);
  });

  test('docker waits longer than the drain timeout before SIGKILL', () => {
    const config = parseConfig(read('sluice.compose.yaml'), { env: { SLUICE_API_KEY: 'k' } });
    const grace = parseDuration(String(sluice.stop_grace_period));
    assert.ok(grace > config.server.drainTimeoutMs, `stop_grace_period ${sluice.stop_grace_period} vs drain_timeout ${config.server.drainTimeoutMs} ms`);
  });
});

describe('deploy/kubernetes.yaml', () => {
  const docs = parseAllDocuments(read('kubernetes.yaml')).map((d) => d.toJS() as Record<string, any>);
  const kind = (k: string) => docs.find((d) => d.kind === k)!;
  const deployment = kind('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const sluiceYaml = kind('ConfigMap').data['sluice.yaml'] as string;
  const env = { SLUICE_API_KEY: 'k', REDIS_URL: 'redis://redis:6379' };

  test('the ConfigMap config is valid and is the file the container serves', () => {
    const config = parseConfig(sluiceYaml, { env });
    assert.equal(config.server.port, 4000);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    assert.equal(`${mount.mountPath}/sluice.yaml`, container.args[container.args.indexOf('--config') + 1]);
    assert.deepEqual(container.args.slice(0, 1), ['serve'], 'the image entrypoint is the sluice CLI');
    assert.ok(container.args.includes('0.0.0.0'));
  });

  test('readiness on /readyz, liveness on /healthz, and a grace period above preStop + drain timeout', () => {
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    const drain = parseConfig(sluiceYaml, { env }).server.drainTimeoutMs;
    const preStop = Number(container.lifecycle.preStop.exec.command[1]) * 1000;
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > preStop + drain, 'Kubernetes must not SIGKILL a draining pod');
  });

  test('the Service and the PodDisruptionBudget select the Deployment’s pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    assert.deepEqual(kind('Service').spec.selector, labels);
    assert.deepEqual(kind('PodDisruptionBudget').spec.selector.matchLabels, labels);
  });
});

describe('deploy/sluice.example.yaml', () => {
  test('is valid, and names SLUICE_API_KEY when it is not set', () => {
    const file = join(DEPLOY, 'sluice.example.yaml');
    const ok = sluiceCli(['check', file], { SLUICE_API_KEY: 'k' });
    assert.equal(ok.status, 0, ok.out);
    const missing = sluiceCli(['check', file]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.out, /SLUICE_API_KEY/);
  });

  test('serves with client keys: 401 without the key, the demo model streams with it', async () => {
    const sluice = await startSluice({ config: read('sluice.example.yaml'), env: { SLUICE_API_KEY: 'example-key' } });
    try {
      const denied = await fetch(`${sluice.url}/v1/models`);
      assert.equal(denied.status, 401);
      await denied.arrayBuffer();
      const models = (await (await fetch(`${sluice.url}/v1/models`, { headers: { authorization: 'Bearer example-key' } })).json()) as {
        data: Array<{ id: string }>;
      };
      const ids = models.data.map((m) => m.id);
      assert.deepEqual(ids.sort(), ['claude', 'demo', 'gpt']);
      const res = await fetch(`${sluice.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'example-key' },
        body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /data: \[DONE\]/);
    } finally {
      await sluice.stop();
    }
  });

  test('without keys, sluice refuses 0.0.0.0 unless --allow-open (as deploy/README.md says)', () => {
    // Zero-config has no keys; the refusal comes before listening, so nothing is bound.
    const open = spawnSync(NODE, [join(ROOT, 'src/cli/entry.js'), 'serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd: DEPLOY,
      env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GEMINI_API_KEY: '', OPENROUTER_API_KEY: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.notEqual(open.status, 0);
    assert.match(open.stderr, /--allow-open/);
    assert.match(read('README.md'), /--allow-open/);
  });
});

describe('reverse-proxy configs carry the streaming directives', () => {
  const nginxRequired: Array<[RegExp, string]> = [
    [/^\s*proxy_http_version 1\.1;/m, 'HTTP/1.1 upstream'],
    [/^\s*proxy_set_header Connection "";/m, 'upstream keepalive'],
    [/^\s*proxy_buffering off;/m, 'no response buffering'],
    [/^\s*proxy_cache off;/m, 'no caching'],
    [/^\s*gzip off;/m, 'no compression'],
    [/^\s*chunked_transfer_encoding on;/m, 'chunked to clients'],
    [/^\s*proxy_read_timeout 3600s;/m, 'read timeout far above the 15 s keepalive'],
    [/^\s*proxy_send_timeout 3600s;/m, 'send timeout'],
    [/^\s*proxy_set_header X-Request-Id /m, 'request id forwarded'],
    [/^\s*client_max_body_size 25m;/m, 'body limit above sluice max_body'],
    [/^\s*listen \{\{LISTEN\}\};/m, '{{LISTEN}} placeholder'],
    [/^\s*server \{\{UPSTREAM\}\};/m, '{{UPSTREAM}} placeholder'],
  ];
  for (const file of ['nginx.conf', 'nginx-site.conf']) {
    test(file, () => {
      const text = read(file);
      for (const [re, why] of nginxRequired) assert.match(text, re, `${file}: ${why}`);
    });
  }

  test('nginx.conf keeps every path relative to the prefix', () => {
    const text = read('nginx.conf');
    for (const m of text.matchAll(/^\s*(\w+_temp_path|pid|access_log|error_log)\s+([^;\s]+)/gm)) {
      assert.ok(!m[2]!.startsWith('/'), `${m[1]} ${m[2]} is absolute`);
    }
    assert.match(text, /^\s*http \{/m, 'a complete config');
    assert.ok(!/^\s*daemon /m.test(text), 'daemon is left to the command line');
  });

  test('Caddyfile', () => {
    const text = read('Caddyfile');
    assert.match(text, /^\s*admin off$/m);
    assert.match(text, /^\s*auto_https off$/m);
    assert.match(text, /^http:\/\/\{\{LISTEN\}\} \{$/m);
    assert.match(text, /^\s*reverse_proxy \{\{UPSTREAM\}\} \{$/m);
    assert.match(text, /^\s*flush_interval -1$/m);
    assert.match(text, /^\s*transport http \{$/m);
    assert.match(text, /^\s*read_timeout 1h$/m);
    assert.ok(!/^\s*encode\b/m.test(text), 'no compression');
  });
});

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__') yield* sourceFiles(path);
    } else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

/**
 * Module specifiers a file loads when Node runs it with type stripping: `import type` and
 * `export type` vanish; any other import stays, even one whose names are all `type` (Node keeps
 * `import {} from 'x'`, which still loads x); `import('x')` counts.
 */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) out.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}
