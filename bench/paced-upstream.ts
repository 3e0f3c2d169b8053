// A paced upstream that runs inside the bench process, for the per-event delay scenario. It streams
// `events` text deltas `every` ms apart and records when it wrote each one, on the same clock the
// client reads arrivals with, so an event's delay through a contender is exact: arrival - sent.
// (`sluice mock` paces with chained timers whose drift accumulates, which would blur a sub-ms figure.)
//
// The request says what it wants in its user text: `bench-paced id=N events=E every=MS`, found in
// the raw body so it survives any translation in between. Speaks OpenAI chat (…/chat/completions),
// Anthropic messages (…/messages) and OpenAI Responses (…/responses). Listens on 127.0.0.1 only.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PacedUpstream {
  port: number;
  /** performance.now() just before each content event of stream `id` was written. */
  sentTimes(id: number): number[];
  close(): Promise<void>;
}

const SPEC = /bench-paced id=(\d+) events=(\d+) every=(\d+)/;
const MAX_EVENTS = 10_000;

export function pacedText(id: number, events: number, everyMs: number): string {
  return `bench-paced id=${id} events=${events} every=${everyMs}`;
}

export async function startPacedUpstream(): Promise<PacedUpstream> {
  const sent = new Map<number, number[]>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => serve(req, res, Buffer.concat(parts).toString('utf8'), sent));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sentTimes: (id) => sent.get(id) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(req: IncomingMessage, res: ServerResponse, body: string, sent: Map<number, number[]>): void {
  const m = SPEC.exec(body);
  if (m === null || req.method !== 'POST') {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bench-paced: no pacing spec in the request","type":"invalid_request_error"}}');
    return;
  }
  const id = Number(m[1]);
  const events = Math.min(MAX_EVENTS, Number(m[2]));
  const every = Number(m[3]);
  const url = req.url ?? '';
  const frames = url.includes('/messages') ? anthropicFrames : url.includes('/responses') ? responsesFrames : openaiFrames;
  const times: number[] = [];
  sent.set(id, times);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(frames.head);
  const t0 = performance.now();
  let k = 0;
  let timer: NodeJS.Timeout | undefined;
  res.once('close', () => clearTimeout(timer));
  const step = (): void => {
    times.push(performance.now());
    res.write(frames.delta(k));
    k++;
    if (k === events) {
      res.end(frames.tail);
      return;
    }
    // Drift-free: event k is due at t0 + k * every, whenever the previous timer fired.
    timer = setTimeout(step, Math.max(0, t0 + k * every - performance.now()));
  };
  step();
}

interface Frames {
  head: string;
  delta(k: number): string;
  tail: string;
}

const openaiChunk = (delta: string, finish: string | null): string =>
  `data: {"id":"chatcmpl-paced","object":"chat.completion.chunk","created":1,"model":"paced","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;

const openaiFrames: Frames = {
  head: openaiChunk('{"role":"assistant","content":""}', null),
  delta: (k) => openaiChunk(`{"content":"e${k} "}`, null),
  tail: `${openaiChunk('{}', '"stop"')}data: [DONE]\n\n`,
};

const anthropicFrames: Frames = {
  head:
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_paced","type":"message","role":"assistant","model":"paced","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}\n\n' +
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  delta: (k) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"e${k} "}}\n\n`,
  tail:
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":10}}\n\n' +
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
};

/** OpenAI Responses: sequence numbers are not checked by sluice's decoder, so one constant serves all deltas. */
const responsesEvent = (type: string, fields: string): string => `event: ${type}\ndata: {"type":"${type}","sequence_number":0,${fields}}\n\n`;
const RESPONSE_HEAD = '{"id":"resp_paced","object":"response","created_at":1,"model":"paced","output":[],"status":"in_progress"}';

const responsesFrames: Frames = {
  head:
    responsesEvent('response.created', `"response":${RESPONSE_HEAD}`) +
    responsesEvent('response.output_item.added', '"output_index":0,"item":{"id":"msg_paced","type":"message","status":"in_progress","content":[],"role":"assistant"}') +
    responsesEvent('response.content_part.added', '"item_id":"msg_paced","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}'),
  delta: (k) => responsesEvent('response.output_text.delta', `"item_id":"msg_paced","output_index":0,"content_index":0,"delta":"e${k} "`),
  tail:
    responsesEvent('response.output_item.done', '"output_index":0,"item":{"id":"msg_paced","type":"message","status":"completed","content":[],"role":"assistant"}') +
    responsesEvent(
      'response.completed',
      '"response":{"id":"resp_paced","object":"response","created_at":1,"model":"paced","output":[],"status":"completed","usage":{"input_tokens":10,"output_tokens":10,"total_tokens":20}}',
    ),
};
