// The directive documentation printed by `sluice mock --help`, generated from the tables in
// faults.ts so it cannot drift from what the parser accepts.

import { mockDialects } from '../protocols/index.ts';
import { DIRECTIVE_KEYS, FAULTS, type FaultKind } from './faults.ts';

const KIND_TITLES: Record<FaultKind, string> = {
  mode: 'Response modes (at most one)',
  ending: 'Early endings after `after=K` events (at most one)',
  framing: 'SSE framing (combine freely)',
  shape: 'Chunk contents (combine freely)',
};

function column(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`).join('\n');
}

function endpoints(): string {
  const rows: Array<[string, string]> = mockDialects().flatMap((d) => [...d.routes, ...(d.embeddings?.routes ?? [])].map((r) => r.help));
  rows.push(['GET  /_mock/requests', 'the request records as JSON'], ['POST /_mock/reset', 'forget the records'], ['GET  /healthz', '']);
  return column(rows);
}

export function directivesHelp(): string {
  const keys = column(Object.entries(DIRECTIVE_KEYS));
  const sections = (Object.keys(KIND_TITLES) as FaultKind[]).map((kind) => {
    const rows = Object.entries(FAULTS)
      .filter(([, info]) => info.kind === kind)
      .map(([name, info]): [string, string] => [name, info.help]);
    return `${KIND_TITLES[kind]}:\n${column(rows)}`;
  });
  return `Directives pick the behaviour of one request. Sources, later overriding earlier:
  1. server defaults (--chunks, --latency)
  2. a path prefix before the normal path: /_mock/fault=status;status=500/v1/chat/completions
     (so a provider's base_url can bake faults in: http://127.0.0.1:PORT/_mock/fault=crlf/v1)
  3. the request header  x-mock: fault=drop_mid;after=3
  4. [[mock fault=error_mid after=2]] anywhere in the text of the last user message
Pairs are separated by ';', '&' or spaces; several faults by commas (fault=crlf,keepalive).

Keys:
${keys}

Faults (fault=NAME[,NAME…]):
${sections.join('\n\n')}

Endpoints (one set per dialect of the protocol registry):
${endpoints()}

Answers are deterministic: reasoning deltas (mockReasoning), then text deltas from a fixed word list
(mockText), then tool calls with fixed arguments (MOCK_TOOL_ARGS) when tool=/tools= is set (tool=N needs
the request to declare tools; chunks=0 gives a tool call alone). Usage: input = 10 + number of messages,
output = text deltas + reasoning deltas + 10 per tool call. Ending faults also cut non-streaming JSON
bodies in half; framing faults only apply to SSE.`;
}
