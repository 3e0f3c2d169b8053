// The route table answers for paths no route serves too: they belong to the front whose declared
// routes share the most leading segments with them (parameters match any segment), so a front added
// to the registry gets its 404s in its own dialect with no list to update. Fronts that tie own nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FrontCodec, FrontRoute } from '../../src/core/protocol.ts';
import { RouteTable } from '../../src/server/routes.ts';
import { fronts } from '../../src/protocols/index.ts';

const front = (name: string, routes: FrontRoute[]): FrontCodec => ({ name, routes }) as unknown as FrontCodec;

test('owner: the front sharing the longest prefix, parameters matching any segment; ties and strangers own nothing', () => {
  const a = front('a', [{ method: 'POST', path: '/v9/things', op: 'chat' }]);
  const b = front('b', [
    { method: 'POST', path: '/v9/stuff/{id}/go', op: 'chat' },
    { method: 'POST', path: '/deep/{rest+}/tail/more', op: 'chat' },
  ]);
  const table = new RouteTable([a, b]);
  assert.equal(table.owner('/v9/things/x')?.name, 'a');
  assert.equal(table.owner('/v9/stuff/123/stop')?.name, 'b');
  assert.equal(table.owner('/deep/x/y/z')?.name, 'b', 'a greedy parameter holds the rest');
  assert.equal(table.owner('/v9/other'), undefined, 'a and b tie on /v9');
  assert.equal(table.owner('/elsewhere'), undefined);
});

test('a catch-all route answers only its own method: another method below it is no route', () => {
  const g = front('g', [
    { method: 'GET', path: '/m/{model+}', op: 'custom' },
    { method: 'POST', path: '/m/{model+}:go', op: 'chat' },
  ]);
  const table = new RouteTable([g]);
  assert.equal(table.lookup('POST', '/m/x:go').kind, 'found');
  assert.equal(table.lookup('POST', '/m/x:og').kind, 'none');
  assert.equal(table.owner('/m/x:og')?.name, 'g');
  const empty = table.lookup('POST', '/m/:go');
  assert.ok(empty.kind === 'found' && empty.match.params.model === '', 'an empty greedy parameter reaches the front, which names it');
});

test('the registry: each dialect owns the paths under its routes', () => {
  const table = new RouteTable(fronts);
  assert.equal(table.owner('/v1/messages/batches')?.name, 'anthropic');
  assert.equal(table.owner('/v1beta/cachedContents')?.name, 'gemini');
  assert.equal(table.owner('/v1/models/x:frob')?.name, 'gemini');
  assert.equal(table.owner('/v2/rerank')?.name, 'cohere');
  assert.equal(table.owner('/model/x/nope')?.name, 'bedrock');
  assert.equal(table.owner('/v1/files'), undefined, '/v1 alone is every OpenAI-style front and more');
});
