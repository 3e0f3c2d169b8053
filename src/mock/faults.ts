// The table of every fault `sluice mock` can inject and every directive key it reads. The parser
// (directives.ts), the `--help` text (help.ts) and the README are all driven from here, so a fault
// cannot exist without being documented (test/mock/docs.test.ts checks the README too).
//
// Kinds decide how faults combine in one `fault=a,b,c` list:
//   mode    — what kind of response is sent at all (at most one per request)
//   ending  — how a stream stops early, at event K = `after` (at most one per request)
//   framing — how SSE bytes are written (any number)
//   shape   — what the chunks contain (any number)

export type FaultKind = 'mode' | 'ending' | 'framing' | 'shape';

export interface FaultInfo {
  kind: FaultKind;
  /** One line for `--help` and the README. */
  help: string;
}

export const FAULTS = {
  // Response modes.
  status: { kind: 'mode', help: 'answer `status=` (default 500) with the dialect\'s error JSON; `retry_after=S` adds a retry-after header (Q-12)' },
  stall_headers: { kind: 'mode', help: 'read the request body, then never answer (no status line)' },
  stall_first: { kind: 'mode', help: 'send 200 and the response headers, then nothing' },
  drop_before: { kind: 'mode', help: 'close the socket without any response' },
  json_sse: { kind: 'mode', help: 'the complete non-streaming JSON answer under Content-Type text/event-stream (Q-2); with done_after_stop a `data: [DONE]` follows it' },
  json_error_sse: { kind: 'mode', help: 'an error JSON body under text/event-stream, with status 200 unless `status=` (Q-2)' },
  ignore_stream: { kind: 'mode', help: 'answer a streaming request with the complete application/json answer (Q-3)' },
  sse_as_json: { kind: 'mode', help: 'the normal SSE stream labelled Content-Type application/json (Q-4)' },
  html_error: { kind: 'mode', help: 'a text/html error page with status 502 (or `status=`) (Q-15)' },
  keepalive_only: { kind: 'mode', help: '200 + SSE headers, then only `: keepalive` comments every `every=` ms (default 100) for `for=` ms (default: until the client leaves), then the body ends' },
  // Early endings, after `after=K` events.
  stall_mid: { kind: 'ending', help: 'stop sending after K events; the connection stays open' },
  drop_mid: { kind: 'ending', help: 'close the socket after K events (the client sees a broken chunked body)' },
  error_mid: { kind: 'ending', help: 'after K events send the dialect\'s mid-stream error, then end the body: OpenAI `data: {"error":…}` (`style=openrouter`: error chunk with finish_reason "error"), Anthropic `event: error` overloaded_error, Gemini `data: {"error":…}` (Q-13), Bedrock an exception message (modelStreamErrorException; `style=throttling|unavailable|internal|validation` for the others, Q-34)' },
  truncate: { kind: 'ending', help: 'end the body cleanly after K events, without any finish reason or terminal marker (Q-14)' },
  corrupt_encoding: { kind: 'ending', help: 'after K events, bytes that are not valid in the body\'s `encoding=` (default gzip), then hold the connection (Q-39)' },
  // SSE framing.
  crlf: { kind: 'framing', help: 'CRLF line endings (Q-5)' },
  cr: { kind: 'framing', help: 'bare CR line endings (Q-5)' },
  mixed_eol: { kind: 'framing', help: 'events cycle through LF, CRLF and CR line endings (Q-5)' },
  nospace: { kind: 'framing', help: 'no space after the field colon: `data:{…}`, `event:x` (Q-6)' },
  no_final_blank: { kind: 'framing', help: 'the last event lacks its terminating blank line (Q-7)' },
  glued: { kind: 'framing', help: 'events K and K+1 on one line: `{…}    event: …` / `{…}    data: {…}`; `style=json` glues as `}{` (Q-8)' },
  done_after_stop: { kind: 'framing', help: 'Anthropic/Gemini: a trailing `data: [DONE]` after the last event (Q-9)' },
  no_event_lines: { kind: 'framing', help: 'Anthropic: only `data:` lines, no `event:` lines (Q-10)' },
  padding: { kind: 'framing', help: 'whitespace inside every JSON payload, e.g. `{"type":"message_stop"      }` (Q-11)' },
  bom: { kind: 'framing', help: 'a UTF-8 byte order mark before the first byte of the body' },
  keepalive: { kind: 'framing', help: 'same as `keepalive=100` unless `keepalive=` is given' },
  malformed: { kind: 'framing', help: 'an invalid-JSON data event after K events (Bedrock: a message whose CRC does not match); the stream then continues' },
  // Chunk contents.
  azure_filter: { kind: 'shape', help: 'OpenAI: a prompt_filter_results chunk with empty id/model first and a choice without `delta` mid-stream (Q-16)' },
  changing_ids: { kind: 'shape', help: 'OpenAI: a different chunk `id` on every chunk (Q-17)' },
  empty_ids: { kind: 'shape', help: 'OpenAI: `"id":""` on every chunk (Q-17)' },
  finish_on_content: { kind: 'shape', help: 'OpenAI: finish_reason on the last content chunk, no separate finish chunk (Q-18)' },
  empty_deltas: { kind: 'shape', help: 'no-op deltas after the first text delta: OpenAI `{}`, `content:""`, `content:null`, `role:""`; Anthropic an empty text_delta; Gemini an empty text part (Q-19)' },
  whole_tool: { kind: 'shape', help: 'each tool call complete in one chunk (OpenAI) / one input_json_delta (Anthropic) (Q-21)' },
  stop_with_tools: { kind: 'shape', help: 'finish_reason "stop" / stop_reason "end_turn" although tools were called (Q-22)' },
  tool_id_missing: { kind: 'shape', help: 'OpenAI: tool calls without any `id` (Q-23)' },
  tool_id_empty: { kind: 'shape', help: 'OpenAI: tool calls with `"id":""` (Q-23)' },
  tool_id_repeat: { kind: 'shape', help: 'OpenAI: the tool-call `id` repeated on every fragment (Q-23)' },
  usage_every_chunk: { kind: 'shape', help: 'OpenAI: cumulative usage on every chunk, vLLM style (Q-26)' },
  usage_after_finish: { kind: 'shape', help: 'OpenAI: a usage chunk (with llama.cpp `timings`) after the finish chunk even when include_usage was not asked, no `"usage":null` elsewhere (Q-26)' },
  big_event: { kind: 'shape', help: 'the text is a single delta of `size=` bytes (default 1048576)' },
} as const satisfies Record<string, FaultInfo>;

export type FaultName = keyof typeof FAULTS;
export type ModeFault = { [K in FaultName]: (typeof FAULTS)[K]['kind'] extends 'mode' ? K : never }[FaultName];
export type EndingFault = { [K in FaultName]: (typeof FAULTS)[K]['kind'] extends 'ending' ? K : never }[FaultName];

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULTS, name);
}

/** Every directive key, with its help line. Order is the order of `--help`. */
export const DIRECTIVE_KEYS = {
  chunks: 'N text deltas (default 12, or --chunks)',
  delay: 'MS between events (default 0, or --latency)',
  first: 'MS after the headers, before the first event (default 0, or --latency first=MS)',
  text: 'WORD: stream WORD repeated (`WORD WORD …`) instead of the built-in text',
  tool: 'NAME, or a number N for the N-th declared tool (1 = first): answer with a tool call carrying MOCK_TOOL_ARGS',
  tools: 'N parallel tool calls (declared tools in turn, or all NAME with tool=NAME)',
  reasoning: 'N reasoning deltas before the text (reported as reasoning/thinking tokens)',
  args: 'base64url of a JSON object: the arguments of the tool calls instead of MOCK_TOOL_ARGS',
  usage: '0: never send usage',
  cached: 'N prompt tokens reported as read from the prompt cache (each dialect\'s own field)',
  cache_write: 'N prompt tokens reported as written to the prompt cache (Anthropic cache_creation_input_tokens)',
  finish: 'stop|length|content_filter|tool_calls: the finish reason, mapped to each dialect',
  fault: 'comma-separated fault names, see below',
  status: 'HTTP status for fault=status / json_error_sse / html_error',
  retry_after: 'SECONDS for the retry-after header of fault=status',
  after: 'K: events sent before an ending fault, glued or malformed (default 4, clamped to the stream)',
  style: 'openrouter (error_mid), json (glued), or the Bedrock exception of error_mid: throttling | unavailable | internal | validation',
  every: 'MS between keepalive_only comments (default 100)',
  for: 'MS of keepalive_only comments before the body ends (default: until the client leaves)',
  size: 'BYTES of the big_event delta (default 1048576)',
  encoding: 'gzip|deflate|br|zstd: compress the body with that Content-Encoding, unasked, flushed after every event (Q-39)',
  keepalive: 'MS: interleave `: OPENROUTER PROCESSING` (OpenAI), `event: ping` (Anthropic) or `: keepalive` (Gemini) every MS while streaming, and once before the first event',
} as const satisfies Record<string, string>;

export type DirectiveKey = keyof typeof DIRECTIVE_KEYS;

export function isDirectiveKey(key: string): key is DirectiveKey {
  return Object.hasOwn(DIRECTIVE_KEYS, key);
}
