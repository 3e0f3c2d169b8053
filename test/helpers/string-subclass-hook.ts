// Preloaded (`--import`) into a sluice process by test/state/lazy-redis.test.ts: reports on stderr
// every module whose source subclasses String (`string-subclass URL`). Once one is loaded, V8's
// string builtins run slower in the whole process (src/state/index.ts), so a gateway must load none
// unless it needs it. Synchronous module hooks see both import and require.

import { registerHooks } from 'node:module';

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    const source = loaded.source;
    const text = source == null ? '' : typeof source === 'string' ? source : Buffer.from(source as Uint8Array).toString('utf8');
    if (/\bextends\s+String\b/.test(text)) process.stderr.write(`string-subclass ${url}\n`);
    return loaded;
  },
});
