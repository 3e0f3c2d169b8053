// ioredis subclasses String, which slows every string builtin in the process (src/state/index.ts):
// a gateway without `redis:` must never load it, nor any other module that does the same. The hook
// (test/helpers/string-subclass-hook.ts) names each such module as it loads; with `redis:` set the
// same hook sees ioredis, so the check can fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, startSluice } from '../helpers/sluice.ts';

const HOOK = join(ROOT, 'test/helpers/string-subclass-hook.ts');
const CONFIG = 'providers:\n  d: { type: demo }\nmodels:\n  m: { targets: [{ provider: d, model: demo }] }\n';

async function streamOnce(url: string): Promise<void> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /data: \[DONE\]/);
}

test('without redis: no loaded module subclasses String, before or after a streamed request', async () => {
  const sluice = await startSluice({ config: CONFIG, env: { NODE_OPTIONS: `--import=${HOOK}` } });
  try {
    await streamOnce(sluice.url);
    assert.deepEqual(sluice.stderr.filter((l) => l.startsWith('string-subclass')), []);
  } finally {
    await sluice.stop();
  }
});

test('with redis configured, ioredis is loaded (and the hook sees it)', async () => {
  // Nothing listens on port 1: the state degrades to per-instance memory and the gateway serves on.
  const sluice = await startSluice({ config: `redis: redis://127.0.0.1:1\n${CONFIG}`, env: { NODE_OPTIONS: `--import=${HOOK}` } });
  try {
    await streamOnce(sluice.url);
    assert.ok(sluice.stderr.some((l) => l.startsWith('string-subclass') && l.includes('/ioredis/')), sluice.stderr.join('\n'));
  } finally {
    await sluice.stop();
  }
});
