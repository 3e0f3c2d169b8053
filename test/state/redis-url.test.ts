// The `redis:` URL forms (src/state/redis-url.ts): one server, TLS, a cluster by its seeds, and
// errors that never carry the password.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRedisTarget, parseRedisUrl } from '../../src/state/redis-url.ts';
import { slotsKey, windowKey } from '../../src/state/redis.ts';

test('one server, with and without credentials and database', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379'), { cluster: false, tls: false, nodes: [{ host: '127.0.0.1', port: 6379 }] });
  assert.deepEqual(parseRedisUrl('rediss://user:p%40ss@cache.example:6380/2'), {
    cluster: false,
    tls: true,
    nodes: [{ host: 'cache.example', port: 6380 }],
    username: 'user',
    password: 'p@ss',
    db: 2,
  });
  assert.deepEqual(parseRedisUrl('redis://:secret@h'), { cluster: false, tls: false, nodes: [{ host: 'h', port: 6379 }], password: 'secret' });
});

test('a cluster by its seed nodes', () => {
  const t = parseRedisUrl('redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002');
  assert.equal(t.cluster, true);
  assert.equal(t.password, 'pw');
  assert.deepEqual(t.nodes, [
    { host: '10.0.0.1', port: 7000 },
    { host: '10.0.0.2', port: 7001 },
    { host: '::1', port: 7002 },
  ]);
  assert.equal(describeRedisTarget(t), 'cluster 10.0.0.1:7000,10.0.0.2:7001,[::1]:7002');
  assert.equal(parseRedisUrl('rediss+cluster://h:7000').tls, true);
});

test('mistakes are named, and the password is never in the message', () => {
  const cases: Array<[string, RegExp]> = [
    ['http://:hunter2@h', /must be a redis:\/\//],
    ['redis://:hunter2@h1:1,h2:2', /several hosts: use redis\+cluster/],
    ['redis+cluster://:hunter2@h1:x', /invalid port "x"/],
    ['redis+cluster://:hunter2@h1:7000/3', /only database 0/],
    ['redis://:hunter2@', /no host|empty host/],
  ];
  for (const [url, expected] of cases) {
    assert.throws(() => parseRedisUrl(url), (err: Error) => expected.test(err.message) && !err.message.includes('hunter2'), url);
  }
});

test('a script’s keys share one hash tag, so a cluster keeps them in one slot', () => {
  // Redis hashes only what is inside the first {...}: the counter name.
  assert.equal(windowKey('rpm:config:ci'), 'sluice:w:{rpm:config:ci}');
  assert.equal(slotsKey('conc:store:team-a'), 'sluice:slots:{conc:store:team-a}');
  assert.match(`${windowKey('rpm:config:ci')}:29613725`, /^sluice:w:\{rpm:config:ci\}:\d+$/);
});
