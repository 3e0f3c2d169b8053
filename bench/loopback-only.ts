// Preloaded (`node --import ./bench/loopback-only.ts …`) into third-party contenders that would
// otherwise listen on every interface (Portkey's start-server calls serve() without a hostname).
// Every TCP listen in the process is forced onto 127.0.0.1, whatever host it asked for, and the port
// actually bound is printed as `bench-listening PORT` on stderr so port 0 works too. A listen on a
// Unix socket path is left alone (it is not on the network).

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
