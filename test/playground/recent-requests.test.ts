// The playground's memory of finished requests: the last 2000, the oldest dropped first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRequests } from '../../src/playground/spend.ts';
import type { RequestRecord } from '../../src/gateway/pipeline.ts';

function record(id: string): RequestRecord {
  return { requestId: id, front: 'openai', model: 'm', stream: true, attempts: 1, status: 200, endReason: 'completed', firstEventMs: 1, totalMs: 2, events: 3, retries: 0, failovers: 0 };
}

test('keeps the last 2000 finished requests and drops the oldest first', () => {
  const recent = new RecentRequests();
  for (let i = 0; i < 5000; i++) recent.add(record(`r${i}`));
  assert.equal(recent.get('r2999'), undefined);
  assert.equal(recent.get('r3000')?.requestId, 'r3000');
  assert.equal(recent.get('r4999')?.model, 'm');
  let kept = 0;
  for (let i = 0; i < 5000; i++) if (recent.get(`r${i}`)) kept++;
  assert.equal(kept, 2000);
});

test('a waiter is woken when its request finishes', async () => {
  const recent = new RecentRequests();
  const waiting = recent.wait('later', 5000);
  recent.add(record('later'));
  assert.equal((await waiting)?.requestId, 'later');
});

test('an id sent twice is answered with its newest request, also after the first one was dropped', () => {
  const recent = new RecentRequests();
  recent.add({ ...record('twice'), model: 'first' });
  recent.add({ ...record('twice'), model: 'second' });
  assert.equal(recent.get('twice')?.model, 'second');
  for (let i = 0; i < 1999; i++) recent.add(record(`r${i}`));
  // The first arrival's slot is taken; the second is the oldest kept.
  assert.equal(recent.get('twice')?.model, 'second');
  recent.add(record('one more'));
  assert.equal(recent.get('twice'), undefined);
});
