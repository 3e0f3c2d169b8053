// Preloaded into every Node contender (`node --expose-gc --import ./bench/preload.ts …`), sluice and
// the bare proxy as much as Portkey and claude-code-router, so they are all treated alike:
//  - Every TCP listen is forced onto 127.0.0.1, whatever host it asked for (Portkey's start-server
//    calls serve() without a hostname, i.e. every interface). The port actually bound is printed as
//    `bench-listening PORT` on stderr, so port 0 works too. A Unix socket path is left alone.
//  - SIGUSR2 runs a full garbage collection, so the memory scenarios read RSS after GC has settled.

import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const original = net.Server.prototype.listen;

function announce(server: net.Server): void {
  server.once('listening', () => {
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') process.stderr.write(`bench-listening ${addr.port}\n`);
  });
}

net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]): net.Server {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !('_handle' in first) && !('fd' in first)) {
    const options = first as net.ListenOptions;
    if (options.path === undefined) {
      args[0] = { ...options, host: LOOPBACK, ipv6Only: false };
      announce(this);
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)) || first === undefined) {
    // listen(port?, host?, backlog?, cb?): replace a given host, or insert one after the port.
    if (typeof args[1] === 'string') args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
    if (first === undefined) args[0] = 0;
    announce(this);
  }
  return original.apply(this, args as Parameters<typeof original>);
} as typeof original;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc !== undefined) process.on('SIGUSR2', () => gc());
