// Each fault produces the bytes it promises, read with a raw node:http client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, constants as zlib, gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import { MOCK_TOOL_ARGS, MOCK_TOOL_ARGS_JSON, type MockServer, mockBigText, mockText, startMock } from '../../src/mock/server.ts';
import {
  OPENAI_TOOLS,
  ANTHROPIC_TOOLS,
  STREAM_PATHS,
  dataOf,
  geminiBody,
  jsonEvents,
  parseSse,
  raw,
  streamBody,
  streamedText,
} from './helpers.ts';

let mock: MockServer;
before(async () => {
  mock = await startMock();
});
after(() => mock.close());

type DialectName = keyof typeof STREAM_PATHS;
const DIALECTS: DialectName[] = ['openai', 'anthropic', 'gemini'];

function stream(dialect: DialectName, directives: string, extra: Record<string, unknown> = {}, timeoutMs?: number) {
  return raw(mock.url + STREAM_PATHS[dialect], { body: streamBody(dialect, extra), headers: { 'x-mock': directives }, timeoutMs });
}

/** Data payloads with the per-request parts (ids, timestamps) made equal. */
function same(data: string[]): string[] {
  return data.map((d) => d.replace(/mock\d+/g, 'mockN').replace(/"created":\d+/, '"created":0'));
}

/** The normal stream's data payloads, for comparing framing faults against. */
async function normalData(dialect: DialectName, directives = 'chunks=5'): Promise<string[]> {
  return same(dataOf((await stream(dialect, directives)).text));
}

describe('response modes', () => {
  for (const [dialect, field, expected] of [
    ['openai', (j: any) => j.error.code, 'rate_limit_exceeded'],
    ['anthropic', (j: any) => j.error.type, 'rate_limit_error'],
    ['gemini', (j: any) => j.error.status, 'RESOURCE_EXHAUSTED'],
  ] as const) {
    test(`status 429 with retry-after in the ${dialect} error shape`, async () => {
      const res = await stream(dialect, 'fault=status;status=429;retry_after=7');
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '7');
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(field(JSON.parse(res.text)), expected);
    });
  }

  test('status defaults to 500; 529 is overloaded_error for Anthropic', async () => {
    const res = await stream('openai', 'fault=status');
    assert.equal(res.status, 500);
    assert.equal(JSON.parse(res.text).error.type, 'server_error');
    const a = await stream('anthropic', 'fault=status;status=529');
    assert.equal(a.status, 529);
    assert.equal(JSON.parse(a.text).error.type, 'overloaded_error');
    assert.equal(a.headers['retry-after'], undefined);
  });

  test('stall_headers: no status line at all', async () => {
    const res = await stream('openai', 'fault=stall_headers', {}, 300);
    assert.equal(res.timedOut, true);
    assert.equal(res.status, undefined);
  });

  test('stall_first: 200 and SSE headers, then no byte', async () => {
    const res = await stream('anthropic', 'fault=stall_first', {}, 300);
    assert.equal(res.timedOut, true);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(res.body.length, 0);
  });

  test('drop_before: the socket closes without a response', async () => {
    const res = await stream('openai', 'fault=drop_before');
    assert.equal(res.status, undefined);
    assert.ok(res.error);
    assert.equal(res.timedOut, false);
  });

  test('json_sse: the complete JSON completion under text/event-stream (+[DONE] with done_after_stop)', async () => {
    const res = await stream('openai', 'fault=json_sse;chunks=3');
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const json = JSON.parse(res.text);
    assert.equal(json.object, 'chat.completion');
    assert.equal(json.choices[0].message.content, mockText(3).join(''));
    const withDone = await stream('anthropic', 'fault=json_sse,done_after_stop;chunks=3');
    assert.match(withDone.text, /^\{"id":"msg_mock\d+","type":"message"[^\n]*\}\n\ndata: \[DONE\]\n\n$/);
  });

  test('json_error_sse: error JSON under text/event-stream with 200, or the given status', async () => {
    const res = await stream('gemini', 'fault=json_error_sse');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(JSON.parse(res.text).error.status, 'INTERNAL');
    const four = await stream('gemini', 'fault=json_error_sse;status=400');
    assert.equal(four.status, 400);
    assert.equal(JSON.parse(four.text).error.code, 400);
  });

  test('ignore_stream: application/json complete answer to stream:true', async () => {
    const res = await stream('anthropic', 'fault=ignore_stream;chunks=2');
    assert.equal(res.headers['content-type'], 'application/json');
    const json = JSON.parse(res.text);
    assert.equal(json.type, 'message');
    assert.equal(json.content[0].text, mockText(2).join(''));
  });

  test('sse_as_json: SSE bytes labelled application/json', async () => {
    const res = await stream('openai', 'fault=sse_as_json;chunks=2');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.ok(res.text.startsWith('data: {'));
    assert.equal(dataOf(res.text).at(-1), '[DONE]');
  });

  test('html_error: a 502 text/html page (or status=)', async () => {
    const res = await stream('openai', 'fault=html_error');
    assert.equal(res.status, 502);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.text, /<html>[\s\S]*502 Bad Gateway/);
    assert.equal((await stream('openai', 'fault=html_error;status=524')).status, 524);
  });

  test('keepalive_only: only `: keepalive` comments, then the body ends', async () => {
    const started = Date.now();
    const res = await stream('openai', 'fault=keepalive_only;every=20;for=150');
    assert.ok(Date.now() - started >= 140);
    assert.equal(res.error, undefined);
    const parsed = parseSse(res.text);
    assert.equal(parsed.events.length, 0);
    assert.ok(parsed.comments.length >= 4, `comments: ${parsed.comments.length}`);
    assert.ok(parsed.comments.every((c) => c === 'keepalive'));
  });
});

describe('early endings', () => {
  test('stall_mid: exactly K events, then silence', async () => {
    const res = await stream('openai', 'fault=stall_mid;after=3', {}, 300);
    assert.equal(res.timedOut, true);
    assert.equal(dataOf(res.text).length, 3);
  });

  for (const dialect of DIALECTS) {
    test(`drop_mid (${dialect}): K events, then a broken body on the client side`, async () => {
      const res = await stream(dialect, 'fault=drop_mid;after=3');
      assert.equal(res.status, 200);
      assert.ok(res.error, 'the client sees an error');
      assert.equal(res.timedOut, false);
      assert.equal(dataOf(res.text).length, 3);
    });
  }

  test('drop_mid on a non-streaming request cuts the JSON body', async () => {
    const res = await raw(mock.url + '/v1/chat/completions', { body: streamBody('openai', { stream: false }), headers: { 'x-mock': 'fault=drop_mid' } });
    assert.ok(res.error);
    assert.ok(res.body.length > 0);
    assert.throws(() => JSON.parse(res.text));
  });

  test('error_mid (OpenAI): data: {"error":…} after K events, no [DONE], clean end', async () => {
    const res = await stream('openai', 'fault=error_mid;after=2');
    assert.equal(res.error, undefined);
    const data = dataOf(res.text);
    assert.equal(data.length, 3);
    assert.equal(JSON.parse(data[2]).error.type, 'server_error');
    assert.ok(!res.text.includes('[DONE]'));
  });

  test('error_mid style=openrouter: chunk with top-level error and finish_reason "error"', async () => {
    const res = await stream('openai', 'fault=error_mid;after=2;style=openrouter');
    const last = JSON.parse(dataOf(res.text).at(-1) ?? '');
    assert.equal(last.error.message, 'Provider disconnected');
    assert.equal(last.choices[0].finish_reason, 'error');
  });

  test('error_mid (Anthropic): event: error overloaded_error, no message_stop', async () => {
    const res = await stream('anthropic', 'fault=error_mid;after=4');
    const events = parseSse(res.text).events;
    assert.equal(events.length, 5);
    assert.equal(events[4].event, 'error');
    assert.equal(JSON.parse(events[4].data).error.type, 'overloaded_error');
    assert.ok(!res.text.includes('message_stop'));
  });

  test('error_mid (Gemini): data: {"error":…}', async () => {
    const res = await stream('gemini', 'fault=error_mid;after=1');
    const data = dataOf(res.text);
    assert.equal(data.length, 2);
    assert.equal(JSON.parse(data[1]).error.status, 'UNAVAILABLE');
  });

  for (const dialect of DIALECTS) {
    test(`truncate (${dialect}): clean end without finish or terminal marker`, async () => {
      const res = await stream(dialect, 'fault=truncate;after=99;chunks=3');
      assert.equal(res.error, undefined);
      assert.ok(!/\[DONE\]|finish_reason":"|message_delta|message_stop|finishReason/.test(res.text), res.text);
      // Gemini's finishReason rides on the last content chunk, so that chunk goes too.
      const sent = dialect === 'gemini' ? mockText(3).slice(0, 2) : mockText(3);
      assert.equal(streamedText(dialect, jsonEvents(res.text)), sent.join(''));
    });
  }

  test('truncate of a Gemini JSON array leaves it unclosed', async () => {
    const res = await raw(mock.url + '/v1beta/models/g:streamGenerateContent', { body: geminiBody(), headers: { 'x-mock': 'fault=truncate;after=2' } });
    assert.ok(res.text.startsWith('['));
    assert.ok(!res.text.trimEnd().endsWith(']'));
  });
});

describe('framing', () => {
  for (const dialect of DIALECTS) {
    test(`crlf / cr / mixed_eol (${dialect}) carry the same events`, async () => {
      const normal = await normalData(dialect);
      const crlf = (await stream(dialect, 'chunks=5;fault=crlf')).text;
      assert.ok(crlf.includes('\r\n\r\n'));
      assert.ok(!/[^\r]\n/.test(crlf), 'every LF is part of a CRLF');
      assert.deepEqual(same(dataOf(crlf)), normal);
      const cr = (await stream(dialect, 'chunks=5;fault=cr')).text;
      assert.ok(!cr.includes('\n') && cr.includes('\r\r'));
      assert.deepEqual(same(dataOf(cr)), normal);
      const mixed = (await stream(dialect, 'chunks=5;fault=mixed_eol')).text;
      assert.ok(/[^\r]\n\n/.test(mixed) && mixed.includes('\r\n\r\n') && /\r\r[^\n]/.test(mixed));
      assert.deepEqual(same(dataOf(mixed)), normal);
    });
  }

  test('nospace: data:{…} and event:name', async () => {
    const res = await stream('anthropic', 'fault=nospace;chunks=2');
    assert.ok(!res.text.includes('data: ') && !res.text.includes('event: '));
    assert.ok(res.text.startsWith('event:message_start\ndata:{'));
    assert.deepEqual(same(dataOf(res.text)), await normalData('anthropic', 'chunks=2'));
  });

  test('no_final_blank: the last event ends with one line break', async () => {
    const res = await stream('openai', 'fault=no_final_blank');
    assert.ok(res.text.endsWith('}\n\ndata: [DONE]\n') && !res.text.endsWith('\n\n'));
    assert.equal(parseSse(res.text).pending, '[DONE]');
  });

  test('glued (Anthropic): `}    event: content_block_delta` on one line', async () => {
    const res = await stream('anthropic', 'fault=glued;after=4');
    const line = res.text.split('\n').find((l) => l.includes('}    event: '));
    assert.ok(line, res.text);
    assert.match(line, /^data: \{"type":"content_block_delta".*\}\}    event: content_block_delta$/);
  });

  test('glued (OpenAI): `}    data: {` and style=json `}{`', async () => {
    const res = await stream('openai', 'fault=glued;after=2');
    assert.equal(res.text.split('\n').filter((l) => /^data: \{.*\}    data: \{.*\}$/.test(l)).length, 1);
    const json = await stream('openai', 'fault=glued;after=2;style=json');
    assert.equal(json.text.split('\n').filter((l) => /^data: \{.*\}\{"id".*\}$/.test(l)).length, 1);
  });

  test('done_after_stop: [DONE] after message_stop / the last Gemini chunk', async () => {
    const a = await stream('anthropic', 'fault=done_after_stop');
    assert.ok(a.text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\n'));
    const g = await stream('gemini', 'fault=done_after_stop');
    assert.equal(dataOf(g.text).at(-1), '[DONE]');
    assert.ok(JSON.parse(dataOf(g.text).at(-2) ?? '').candidates[0].finishReason);
  });

  test('no_event_lines: Anthropic with only data: lines', async () => {
    const res = await stream('anthropic', 'fault=no_event_lines;chunks=2');
    assert.ok(!res.text.includes('event:'));
    assert.deepEqual(same(dataOf(res.text)), await normalData('anthropic', 'chunks=2'));
  });

  test('padding: whitespace inside every JSON payload, still valid JSON', async () => {
    const res = await stream('anthropic', 'fault=padding;chunks=2');
    const data = dataOf(res.text);
    assert.ok(data.every((d) => d.startsWith('{ ') && d.endsWith('      }')));
    assert.deepEqual(same(data).map((d) => JSON.parse(d)), (await normalData('anthropic', 'chunks=2')).map((d) => JSON.parse(d)));
  });

  test('bom: the body starts with EF BB BF', async () => {
    const res = await stream('openai', 'fault=bom');
    assert.deepEqual([...res.body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  });

  test('malformed: one invalid JSON data line after K events, then the stream continues', async () => {
    const res = await stream('openai', 'fault=malformed;after=2;chunks=4');
    const data = dataOf(res.text);
    const bad = data.filter((d) => {
      try {
        JSON.parse(d);
        return false;
      } catch {
        return d !== '[DONE]';
      }
    });
    assert.equal(bad.length, 1);
    assert.equal(data.indexOf(bad[0]), 2);
    assert.equal(data.at(-1), '[DONE]');
  });

  test('keepalive: OpenRouter comments for OpenAI (also before the first event), pings for Anthropic', async () => {
    const o = await stream('openai', 'keepalive=15;delay=20;chunks=4');
    assert.ok(o.text.startsWith(': OPENROUTER PROCESSING\n\n'));
    assert.ok(parseSse(o.text).comments.length >= 2);
    assert.equal(streamedText('openai', jsonEvents(o.text)), mockText(4).join(''));
    const a = await stream('anthropic', 'fault=keepalive,crlf;delay=20;chunks=4;keepalive=15');
    assert.ok(a.text.startsWith('event: ping\r\ndata: {"type": "ping"}\r\n\r\n'));
    assert.ok(parseSse(a.text).events.filter((e) => e.event === 'ping').length >= 3);
  });

  test('several framing faults combine', async () => {
    const res = await stream('openai', 'fault=crlf,nospace,padding,bom;chunks=3');
    assert.ok(res.text.startsWith('\uFEFFdata:{ '));
    assert.ok(res.text.includes('\r\n\r\n'));
    assert.equal(streamedText('openai', jsonEvents(res.text)), mockText(3).join(''));
  });
});

describe('chunk shapes (OpenAI)', () => {
  const chunks = async (directives: string, extra: Record<string, unknown> = {}): Promise<any[]> => jsonEvents((await stream('openai', directives, extra)).text);

  test('azure_filter: empty-id prompt filter chunk first, a choice without delta', async () => {
    const list = await chunks('fault=azure_filter;chunks=4');
    assert.deepEqual([list[0].id, list[0].model, list[0].choices], ['', '', []]);
    assert.ok(list[0].prompt_filter_results);
    assert.ok(list.some((c) => c.choices.length === 1 && c.choices[0].delta === undefined && c.choices[0].content_filter_offsets));
    assert.equal(streamedText('openai', list), mockText(4).join(''));
  });

  test('changing_ids / empty_ids', async () => {
    const changing = await chunks('fault=changing_ids;chunks=4');
    assert.equal(new Set(changing.map((c) => c.id)).size, changing.length);
    const empty = await chunks('fault=empty_ids;chunks=4');
    assert.ok(empty.every((c) => c.id === ''));
  });

  test('finish_on_content: finish_reason with the last content, no finish-only chunk', async () => {
    const list = await chunks('fault=finish_on_content;chunks=3');
    const finishing = list.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishing.length, 1);
    assert.equal(finishing[0].choices[0].delta.content, mockText(3)[2]);
  });

  test('empty_deltas: {}, content "", content null, role ""', async () => {
    const list = await chunks('fault=empty_deltas;chunks=3');
    const deltas = list.map((c) => JSON.stringify(c.choices[0]?.delta));
    for (const d of ['{}', '{"content":""}', '{"content":null}', '{"role":""}']) assert.ok(deltas.includes(d), d);
    assert.equal(streamedText('openai', list), mockText(3).join(''));
  });

  test('tool calls: first fragment carries index/id/type/name/"" and the fragments join to MOCK_TOOL_ARGS', async () => {
    const list = await chunks('chunks=0;tool=1', { tools: OPENAI_TOOLS });
    const calls = list.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.deepEqual(Object.keys(calls[0]).sort(), ['function', 'id', 'index', 'type']);
    assert.equal(calls[0].function.arguments, '');
    assert.ok(calls.length > 3);
    assert.ok(calls.slice(1).every((c: any) => c.id === undefined && c.function.name === undefined));
    assert.deepEqual(JSON.parse(calls.map((c: any) => c.function.arguments).join('')), MOCK_TOOL_ARGS);
    assert.equal(list.at(-1).choices[0].finish_reason, 'tool_calls');
  });

  test('whole_tool: the complete call in one chunk', async () => {
    const list = await chunks('chunks=0;tool=get_forecast;fault=whole_tool', { tools: OPENAI_TOOLS });
    const calls = list.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function.arguments, MOCK_TOOL_ARGS_JSON);
  });

  test('stop_with_tools / tool_id_missing / tool_id_empty / tool_id_repeat', async () => {
    const stop = await chunks('chunks=0;tool=1;fault=stop_with_tools', { tools: OPENAI_TOOLS });
    assert.equal(stop.at(-1).choices[0].finish_reason, 'stop');
    const missing = (await chunks('chunks=0;tool=1;fault=tool_id_missing', { tools: OPENAI_TOOLS })).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.ok(missing.every((c: any) => !('id' in c)));
    const empty = (await chunks('chunks=0;tool=1;fault=tool_id_empty', { tools: OPENAI_TOOLS })).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.equal(empty[0].id, '');
    const repeat = (await chunks('chunks=0;tool=1;fault=tool_id_repeat', { tools: OPENAI_TOOLS })).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    assert.ok(repeat.length > 2 && repeat.every((c: any) => c.id === repeat[0].id));
  });

  test('usage: only with include_usage; "usage":null elsewhere; usage=0 never', async () => {
    const none = await chunks('chunks=2');
    assert.ok(none.every((c) => !('usage' in c)));
    const asked = await chunks('chunks=2', { stream_options: { include_usage: true } });
    assert.ok(asked.slice(0, -1).every((c) => c.usage === null));
    assert.deepEqual(asked.at(-1).choices, []);
    assert.equal(asked.at(-1).usage.completion_tokens, 2);
    const off = await chunks('chunks=2;usage=0', { stream_options: { include_usage: true } });
    assert.ok(off.every((c) => c.usage === undefined));
  });

  test('usage_every_chunk / usage_after_finish', async () => {
    const every = await chunks('chunks=3;fault=usage_every_chunk');
    assert.deepEqual(every.map((c) => c.usage.completion_tokens), [0, 1, 2, 3, 3]);
    const afterFinish = await chunks('chunks=3;fault=usage_after_finish');
    const last = afterFinish.at(-1);
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 3);
    assert.ok(last.timings);
    assert.ok(afterFinish.at(-2).choices[0].finish_reason === 'stop');
    assert.ok(afterFinish.slice(0, -1).every((c) => !('usage' in c)));
  });

  test('finish=length maps per dialect', async () => {
    assert.equal((await chunks('finish=length')).at(-1).choices[0].finish_reason, 'length');
    const a = jsonEvents((await stream('anthropic', 'finish=length')).text).find((e) => e.type === 'message_delta');
    assert.equal(a.delta.stop_reason, 'max_tokens');
    assert.equal(jsonEvents((await stream('gemini', 'finish=length')).text).at(-1).candidates[0].finishReason, 'MAX_TOKENS');
  });
});

describe('other dialect shapes', () => {
  test('Anthropic tool_use: first input_json_delta is "", fragments join to MOCK_TOOL_ARGS; whole_tool sends one', async () => {
    const events = jsonEvents((await stream('anthropic', 'chunks=1;tool=1', { tools: ANTHROPIC_TOOLS })).text);
    const json = events.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta.partial_json);
    assert.equal(json[0], '');
    assert.deepEqual(JSON.parse(json.join('')), MOCK_TOOL_ARGS);
    assert.equal(events.find((e) => e.type === 'message_delta').delta.stop_reason, 'tool_use');
    const whole = jsonEvents((await stream('anthropic', 'chunks=1;tool=1;fault=whole_tool', { tools: ANTHROPIC_TOOLS })).text);
    assert.equal(whole.filter((e) => e.delta?.type === 'input_json_delta').length, 1);
  });

  test('empty_deltas in Anthropic and Gemini', async () => {
    const a = jsonEvents((await stream('anthropic', 'chunks=2;fault=empty_deltas')).text);
    assert.ok(a.some((e) => e.delta?.type === 'text_delta' && e.delta.text === ''));
    const g = jsonEvents((await stream('gemini', 'chunks=2;fault=empty_deltas')).text);
    assert.equal(g.length, 3);
    assert.equal(g[1].candidates[0].content.parts[0].text, '');
  });

  test('big_event: one delta of size bytes', async () => {
    for (const dialect of DIALECTS) {
      const res = await stream(dialect, 'fault=big_event;size=300000');
      const text = streamedText(dialect, jsonEvents(res.text));
      assert.equal(text.length, 300000);
      assert.equal(text, mockBigText(300000));
    }
  });

  test('keepalive for Gemini is a comment', async () => {
    const res = await stream('gemini', 'keepalive=10;chunks=1');
    assert.ok(res.text.startsWith(': keepalive\n\n'));
  });
});

describe('compressed bodies (Q-39)', () => {
  const inflaters = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync, zstd: zstdDecompressSync } as const;
  for (const [encoding, inflate] of Object.entries(inflaters)) {
    test(`encoding=${encoding}: the same stream, compressed and flushed per event`, async () => {
      const chunks: Buffer[] = [];
      const res = await raw(mock.url + STREAM_PATHS.openai, {
        body: streamBody('openai'),
        headers: { 'x-mock': `chunks=5;encoding=${encoding}` },
        onChunk: (c) => chunks.push(c),
      });
      assert.equal(res.headers['content-encoding'], encoding);
      assert.deepEqual(same(dataOf(inflate(res.body).toString('utf8'))), await normalData('openai'));
      // Flushed per event: the first chunks already inflate to whole events.
      const firstTwo = inflate(Buffer.concat(chunks.slice(0, 2)), { finishFlush: encoding === 'br' ? zlib.BROTLI_OPERATION_FLUSH : encoding === 'zstd' ? zlib.ZSTD_e_continue : zlib.Z_SYNC_FLUSH });
      assert.match(firstTwo.toString('utf8'), /^data: \{.*\}\n\n/s);
    });
  }

  test('a JSON answer and an error body are compressed too, with their Content-Length', async () => {
    const ok = await raw(mock.url + STREAM_PATHS.openai, { body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, headers: { 'x-mock': 'encoding=br' } });
    assert.equal(ok.headers['content-length'], String(ok.body.length));
    assert.equal(JSON.parse(brotliDecompressSync(ok.body).toString('utf8')).object, 'chat.completion');
    const err = await stream('gemini', 'fault=status;status=429;encoding=gzip');
    assert.equal(err.status, 429);
    assert.equal(err.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(err.body).toString('utf8')).error.status, 'RESOURCE_EXHAUSTED');
  });

  test('corrupt_encoding: invalid bytes after K events, then the connection is held; gzip by default', async () => {
    const res = await stream('openai', 'fault=corrupt_encoding;after=2', {}, 300);
    assert.equal(res.timedOut, true);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.throws(() => gunzipSync(res.body), /invalid block type/);
    const before = gunzipSync(res.body.subarray(0, res.body.length - 8), { finishFlush: zlib.Z_SYNC_FLUSH }).toString('utf8');
    assert.equal(dataOf(before).length, 2);
  });

  test('an unknown encoding is a 400', async () => {
    const res = await stream('openai', 'encoding=compress');
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.text).error.message, /encoding must be one of gzip\|deflate\|br\|zstd/);
  });
});

describe('bad requests', () => {
  test('invalid JSON → 400 in the dialect shape', async () => {
    const o = await raw(mock.url + '/v1/chat/completions', { body: '{"messages":' });
    assert.equal(o.status, 400);
    assert.equal(JSON.parse(o.text).error.type, 'invalid_request_error');
    const a = await raw(mock.url + '/v1/messages', { body: 'nope' });
    assert.equal(a.status, 400);
    assert.equal(JSON.parse(a.text).type, 'error');
    const g = await raw(mock.url + '/v1beta/models/g:generateContent', { body: '[' });
    assert.equal(JSON.parse(g.text).error.status, 'INVALID_ARGUMENT');
  });

  test('unknown fault or key → 400 naming it', async () => {
    const f = await stream('openai', 'fault=crfl');
    assert.equal(f.status, 400);
    assert.match(JSON.parse(f.text).error.message, /unknown fault "crfl"/);
    const k = await stream('anthropic', 'chunk=3');
    assert.equal(k.status, 400);
    assert.match(JSON.parse(k.text).error.message, /unknown directive "chunk"/);
    const two = await stream('openai', 'fault=drop_mid,truncate');
    assert.equal(two.status, 400);
  });

  test('missing messages → 400; unknown path → 404', async () => {
    assert.equal((await raw(mock.url + '/v1/chat/completions', { body: { model: 'x' } })).status, 400);
    assert.equal((await raw(mock.url + '/v1/audio/speech', { body: {} })).status, 404);
    // Embeddings are served (SPEC §8); a body without input is the client's mistake.
    assert.equal((await raw(mock.url + '/v1/embeddings', { body: {} })).status, 400);
  });
});
