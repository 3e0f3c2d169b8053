// Directive sources (defaults, path prefix, header, last user message) and their precedence.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, directivesInText, parseDirectiveList, splitMockPath } from '../../src/mock/directives.ts';
import { type MockServer, mockText, startMock } from '../../src/mock/server.ts';
import { ANTHROPIC_TOOLS, GEMINI_TOOLS, OPENAI_TOOLS, jsonEvents, raw, streamedText } from './helpers.ts';

describe('parsing', () => {
  test('pair lists: ; & and spaces, bare keys, commas stay in values', () => {
    assert.deepEqual(parseDirectiveList('fault=crlf,keepalive;after=3&chunks=2  tool'), {
      fault: 'crlf,keepalive',
      after: '3',
      chunks: '2',
      tool: '1',
    });
  });

  test('path prefix is removed and decoded', () => {
    assert.deepEqual(splitMockPath('/_mock/fault=status;status=500/v1/chat/completions'), {
      path: '/v1/chat/completions',
      directives: { fault: 'status', status: '500' },
    });
    assert.deepEqual(splitMockPath('/base/_mock/chunks%3D2%3Bdelay%3D5/v1/messages'), {
      path: '/base/v1/messages',
      directives: { chunks: '2', delay: '5' },
    });
    assert.deepEqual(splitMockPath('/v1/messages'), { path: '/v1/messages', directives: undefined });
  });

  test('[[mock …]] in text, several merged', () => {
    assert.deepEqual(directivesInText('Hi [[mock chunks=2 fault=crlf]] and [[mock chunks=3]]'), { chunks: '3', fault: 'crlf' });
    assert.equal(directivesInText('no directive here'), undefined);
  });

  test('plans: defaults, validation, fault kinds', () => {
    const plan = buildPlan({ fault: 'crlf,keepalive,error_mid' });
    assert.equal(plan.chunks, 12);
    assert.equal(plan.keepaliveMs, 100);
    assert.equal(plan.ending, 'error_mid');
    assert.equal(plan.mode, undefined);
    assert.equal(buildPlan({ fault: 'keepalive', keepalive: '0' }).keepaliveMs, 0);
    assert.throws(() => buildPlan({ chunks: 'x' }), /chunks must be a non-negative integer/);
    assert.throws(() => buildPlan({ fault: 'status,drop_before' }), /cannot be combined/);
    assert.throws(() => buildPlan({ finish: 'done' }), /finish must be one of/);
    assert.throws(() => buildPlan({ nonsense: '1' }), /unknown directive "nonsense"/);
  });
});

describe('sources on a running mock', () => {
  let mock: MockServer;
  before(async () => {
    mock = await startMock({ chunks: 7 });
  });
  after(() => mock.close());

  const openaiText = async (path: string, content: string, header?: string): Promise<string> => {
    const res = await raw(mock.url + path, {
      body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'earlier [[mock chunks=9]]' }, { role: 'assistant', content: 'ok' }, { role: 'user', content }] },
      headers: header === undefined ? {} : { 'x-mock': header },
    });
    assert.equal(res.status, 200, res.text);
    return streamedText('openai', jsonEvents(res.text));
  };

  test('server default, then path, then header, then the last user message', async () => {
    assert.equal(await openaiText('/v1/chat/completions', 'plain'), mockText(7).join(''));
    assert.equal(await openaiText('/_mock/chunks=2/v1/chat/completions', 'plain'), mockText(2).join(''));
    assert.equal(await openaiText('/_mock/chunks=2/v1/chat/completions', 'plain', 'chunks=3'), mockText(3).join(''));
    assert.equal(await openaiText('/_mock/chunks=2/v1/chat/completions', 'go [[mock chunks=4]]', 'chunks=3'), mockText(4).join(''));
    const rec = mock.requests.at(-1);
    assert.deepEqual(rec?.directives, { chunks: '4' });
  });

  test('only the LAST user message is read; content parts count', async () => {
    const res = await raw(mock.url + '/v1/chat/completions', {
      body: { model: 'm', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'text', text: '[[mock text=ha chunks=3]]' }] }] },
    });
    assert.equal(JSON.parse(res.text).choices[0].message.content, 'ha ha ha');
  });

  test('Anthropic message blocks and Gemini parts carry directives', async () => {
    const a = await raw(mock.url + '/v1/messages', {
      body: { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: '[[mock chunks=1]]' }] }] },
    });
    assert.equal(JSON.parse(a.text).content[0].text, mockText(1).join(''));
    const g = await raw(mock.url + '/v1beta/models/g:generateContent', {
      body: { contents: [{ parts: [{ text: '[[mock fault=status status=404]]' }] }] },
    });
    assert.equal(g.status, 404);
    assert.equal(JSON.parse(g.text).error.status, 'NOT_FOUND');
  });

  test('a base_url with baked-in faults: /_mock/…/v1 for each dialect', async () => {
    const o = await raw(mock.url + '/_mock/fault=status;status=503/v1/chat/completions', { body: { model: 'm', messages: [] } });
    assert.equal(o.status, 503);
    const a = await raw(mock.url + '/_mock/fault=status;status=529;retry_after=2/v1/messages', { body: { messages: [] } });
    assert.deepEqual([a.status, a.headers['retry-after']], [529, '2']);
    const g = await raw(mock.url + '/_mock/fault=status;status=429/v1beta/models/g:streamGenerateContent?alt=sse', { body: { contents: [] } });
    assert.equal(g.status, 429);
  });

  test('tool=N picks the N-th declared tool; tools=N makes parallel calls with indices 0..N-1', async () => {
    const res = await raw(mock.url + '/v1/chat/completions', {
      body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }], tools: OPENAI_TOOLS },
      headers: { 'x-mock': 'tool=2;tools=2;chunks=0' },
    });
    const firsts = jsonEvents(res.text)
      .flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])
      .filter((c: any) => c.function.name !== undefined);
    assert.deepEqual(
      firsts.map((c: any) => [c.index, c.function.name]),
      [
        [0, 'get_time'],
        [1, 'get_forecast'],
      ],
    );
  });

  test('tool=1 without declared tools answers with text', async () => {
    const a = await raw(mock.url + '/v1/messages', { body: { messages: [{ role: 'user', content: '[[mock tool=1 chunks=2]]' }] } });
    assert.deepEqual(JSON.parse(a.text).content.map((b: any) => b.type), ['text']);
    const named = await raw(mock.url + '/v1/messages', { body: { messages: [{ role: 'user', content: '[[mock tool=lookup chunks=0]]' }], tools: ANTHROPIC_TOOLS } });
    assert.equal(JSON.parse(named.text).content[0].name, 'lookup');
    const g = await raw(mock.url + '/v1beta/models/g:generateContent', { body: { contents: [{ parts: [{ text: '[[mock tool=1 chunks=0]]' }] }], tools: GEMINI_TOOLS } });
    assert.equal(JSON.parse(g.text).candidates[0].content.parts[0].functionCall.name, 'get_forecast');
  });

  test('records: dialect, stream flag, body, directives; GET /_mock/requests and /healthz', async () => {
    mock.reset();
    await raw(mock.url + '/v1/messages', { body: { messages: [{ role: 'user', content: 'x' }], stream: true }, headers: { 'x-mock': 'chunks=1' } });
    assert.equal(mock.requests.length, 1);
    const [rec] = mock.requests;
    assert.equal(rec.dialect, 'anthropic');
    assert.equal(rec.stream, true);
    assert.equal(rec.outcome, 'completed');
    assert.ok(rec.finishedAt !== undefined && rec.finishedAt >= rec.startedAt);
    assert.deepEqual(rec.directives, { chunks: '1' });
    assert.equal(rec.headers['x-mock'], 'chunks=1');
    assert.deepEqual(rec.body.messages, [{ role: 'user', content: 'x' }]);
    const listed = JSON.parse((await raw(mock.url + '/_mock/requests')).text);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, rec.id);
    assert.deepEqual(JSON.parse((await raw(mock.url + '/healthz')).text), { ok: true });
  });
});
