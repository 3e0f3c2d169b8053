// Test helpers for the mock: a raw node:http client that reports exactly what arrived (bytes,
// chunks, how it ended) and a small WHATWG SSE parser that handles LF, CR and CRLF.

import { type Agent, request } from 'node:http';

export interface RawResponse {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** Set when the response did not end cleanly (socket hang up, broken chunked body, timeout). */
  error: Error | undefined;
  timedOut: boolean;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  agent?: Agent;
  /** Give up (destroying the request) after this long; the result then has timedOut. */
  timeoutMs?: number;
  /** Called with each body chunk as it arrives. */
  onChunk?: (chunk: Buffer) => void;
}

export function raw(url: string, opts: RawOptions = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let headers: RawResponse['headers'] = {};
    let settled = false;
    let timedOut = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const body = Buffer.concat(chunks);
      resolve({ status, headers, body, text: body.toString('utf8'), error, timedOut });
    };
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const req = request(url, {
      method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...opts.headers },
      agent: opts.agent,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('test timeout'));
    }, opts.timeoutMs ?? 5000);
    req.on('response', (res) => {
      status = res.statusCode;
      headers = res.headers;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        opts.onChunk?.(c);
      });
      res.on('end', () => settle(undefined));
      res.on('error', (e) => settle(e));
      res.on('aborted', () => settle(new Error('aborted')));
    });
    req.on('error', (e) => settle(e));
    req.end(payload);
  });
}

export interface ParsedEvent {
  event: string;
  data: string;
}

/** WHATWG §9.2.6 line processing (comments skipped, one leading space stripped); unterminated events dropped. */
export function parseSse(text: string): { events: ParsedEvent[]; comments: string[]; pending: string } {
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  let data: string[] = [];
  let event = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  // The text after the last line break is an unfinished line.
  const pendingLine = lines.pop() ?? '';
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      continue;
    }
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trimStart());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  const pending = (pendingLine === '' ? data : [...data, pendingLine]).join('\n');
  return { events, comments, pending };
}

export function dataOf(text: string): string[] {
  return parseSse(text).events.map((e) => e.data);
}

/** JSON payloads of an SSE body ([DONE] excluded). */
export function jsonEvents(text: string): any[] {
  return dataOf(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d));
}

export const USER = [{ role: 'user', content: 'Hello' }];

export function openaiBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-mock', messages: USER, stream: true, ...extra };
}

export function anthropicBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-mock', max_tokens: 100, messages: USER, stream: true, ...extra };
}

export function geminiBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }], ...extra };
}

export const OPENAI_TOOLS = [
  { type: 'function', function: { name: 'get_forecast', parameters: { type: 'object', properties: {} } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];
export const ANTHROPIC_TOOLS = [
  { name: 'get_forecast', input_schema: { type: 'object', properties: {} } },
  { name: 'get_time', input_schema: { type: 'object', properties: {} } },
];
export const GEMINI_TOOLS = [{ functionDeclarations: [{ name: 'get_forecast' }, { name: 'get_time' }] }];

/** Paths per dialect for streaming requests. */
export const STREAM_PATHS = {
  openai: '/v1/chat/completions',
  anthropic: '/v1/messages',
  gemini: '/v1beta/models/gemini-mock:streamGenerateContent?alt=sse',
} as const;

export function streamBody(dialect: keyof typeof STREAM_PATHS, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return dialect === 'openai' ? openaiBody(extra) : dialect === 'anthropic' ? anthropicBody(extra) : geminiBody(extra);
}

/** Concatenated text deltas of a parsed stream, per dialect. */
export function streamedText(dialect: keyof typeof STREAM_PATHS, payloads: any[]): string {
  let out = '';
  for (const p of payloads) {
    if (dialect === 'openai') out += p.choices?.[0]?.delta?.content ?? '';
    else if (dialect === 'anthropic') out += p.type === 'content_block_delta' && p.delta.type === 'text_delta' ? p.delta.text : '';
    else for (const part of p.candidates?.[0]?.content?.parts ?? []) if (!part.thought && typeof part.text === 'string') out += part.text;
  }
  return out;
}
