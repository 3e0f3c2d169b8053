// The 6 × 6 dialect grid: every front (the client's dialect) × every upstream type, what each cell
// carries and what it cannot. A cell carries a feature when both its front and its upstream dialect
// can express it (the canonical model in the middle carries all of them), minus the pair notes below.
// docs/dialect-matrix.md is this file's output (`node test/matrix/grid.ts --write`); a test fails
// when the registry or this table changes and the document was not regenerated.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { registered, type Registered } from './registry.ts';

export const FEATURES = ['text', 'tools', 'reasoning', 'images', 'usage', 'cache read', 'cache write'] as const;
export type Feature = (typeof FEATURES)[number];

interface Dialect {
  /** Front name in the registry (the client's dialect). */
  front: string;
  /** Provider type of the same dialect. */
  upstream: string;
  label: string;
  /** What a client of this dialect can receive / an upstream of it reports, with the wire field. */
  carries: Partial<Record<Feature, string>>;
  /** What it has no form for. */
  lacks: Partial<Record<Feature, string>>;
}

export const DIALECTS: readonly Dialect[] = [
  {
    front: 'openai',
    upstream: 'openai',
    label: 'OpenAI chat',
    carries: {
      text: 'content',
      tools: 'tool_calls (JSON-string arguments)',
      reasoning: 'reasoning_content (DeepSeek-style; front: on request)',
      images: 'image_url parts',
      usage: 'usage (stream_options.include_usage)',
      'cache read': 'prompt_tokens_details.cached_tokens',
    },
    lacks: { 'cache write': 'no field' },
  },
  {
    front: 'openai-responses',
    upstream: 'openai-responses',
    label: 'OpenAI Responses',
    carries: {
      text: 'output_text',
      tools: 'function_call items',
      reasoning: 'reasoning items (summaries)',
      images: 'input_image',
      usage: 'usage',
      'cache read': 'input_tokens_details.cached_tokens',
    },
    lacks: { 'cache write': 'no field' },
  },
  {
    front: 'anthropic',
    upstream: 'anthropic',
    label: 'Anthropic Messages',
    carries: {
      text: 'text blocks',
      tools: 'tool_use blocks',
      reasoning: 'thinking blocks (signed)',
      images: 'image blocks',
      usage: 'usage',
      'cache read': 'cache_read_input_tokens',
      'cache write': 'cache_creation_input_tokens',
    },
    lacks: {},
  },
  {
    front: 'gemini',
    upstream: 'gemini',
    label: 'Gemini',
    carries: {
      text: 'text parts',
      tools: 'functionCall parts',
      reasoning: 'thought parts (thoughtSignature)',
      images: 'inlineData / fileData',
      usage: 'usageMetadata',
      'cache read': 'cachedContentTokenCount',
    },
    lacks: { 'cache write': 'no field' },
  },
  {
    front: 'cohere',
    upstream: 'cohere',
    label: 'Cohere v2 chat',
    carries: {
      text: 'content (tool_plan upstream)',
      tools: 'tool_calls (JSON-string arguments)',
      reasoning: 'thinking content (unsigned)',
      images: 'image_url parts',
      usage: 'usage.tokens / billed_units',
      'cache read': 'usage.cached_tokens',
    },
    lacks: { 'cache write': 'no field' },
  },
  {
    front: 'bedrock',
    upstream: 'bedrock',
    label: 'Bedrock Converse',
    carries: {
      text: 'text blocks',
      tools: 'toolUse blocks',
      reasoning: 'reasoningContent (signed)',
      images: 'image blocks (bytes)',
      usage: 'usage',
      'cache read': 'cacheReadInputTokens',
      'cache write': 'cacheWriteInputTokens',
    },
    lacks: {},
  },
];

/** What a cell cannot carry although both sides have the feature, or what is lost between them. */
export const PAIR_NOTES: Record<string, string> = {
  'cohere→*': 'Cohere citations and request documents: documents reach other upstreams as plain-text documents; citations have no canonical form and are dropped',
  '*→cohere': 'a named tool_choice becomes REQUIRED with only that tool declared; images in tool results are refused (400)',
  'cohere→cohere': 'a tool plan reaches the client as content; citations are dropped',
  'bedrock→*': 'guardrailConfig, promptVariables, guardContent, video, audio and S3 images reach only a Bedrock upstream (400 elsewhere); invoke* bodies are Anthropic Messages and keep their blocks to an Anthropic upstream',
  '*→bedrock': 'image URLs are refused (Bedrock takes bytes or s3://); tool_choice none sends no tools; unsigned reasoning from other models is not replayed; tool names outside [a-zA-Z0-9_-] are mapped and back',
};

export interface Cell {
  front: string;
  upstream: string;
  /** Why the cell is not served yet, or undefined when both sides are registered. */
  missing?: string;
  carries: Feature[];
  lacks: Feature[];
}

export function cell(reg: Registered, front: Dialect, upstream: Dialect): Cell {
  const missing = [
    reg.fronts.has(front.front) ? undefined : `front ${front.front} not registered`,
    reg.providerTypes.has(upstream.upstream) ? undefined : `upstream type ${upstream.upstream} not registered`,
  ].filter((m) => m !== undefined);
  const carries = FEATURES.filter((f) => front.carries[f] !== undefined && upstream.carries[f] !== undefined);
  return {
    front: front.front,
    upstream: upstream.upstream,
    ...(missing.length > 0 ? { missing: missing.join('; ') } : {}),
    carries,
    lacks: FEATURES.filter((f) => !carries.includes(f)),
  };
}

const SHORT: Record<Feature, string> = {
  text: 'T',
  tools: 'F',
  reasoning: 'R',
  images: 'I',
  usage: 'U',
  'cache read': 'Cr',
  'cache write': 'Cw',
};

export function renderGrid(reg: Registered = registered()): string {
  const lines: string[] = [];
  lines.push('# The dialect matrix');
  lines.push('');
  lines.push('<!-- Generated by `node test/matrix/grid.ts --write` from the protocol registry; test/matrix/grid.test.ts fails when it is stale. -->');
  lines.push('');
  lines.push('Rows: the dialect a client speaks to sluice (its front). Columns: the provider type sluice forwards to.');
  lines.push('Every cell goes through the canonical model, so a feature crosses a cell when both dialects have a form for it.');
  lines.push('Letters: **T** text, **F** function tools, **R** reasoning, **I** images (input), **U** usage, **Cr** cache-read tokens, **Cw** cache-write tokens.');
  lines.push('`—` marks a cell whose front or upstream type is not registered in this build; test/matrix runs every other cell');
  lines.push('with the front\'s official SDK against `sluice mock` (text and one tool round trip, streaming and not).');
  lines.push('');
  lines.push(`| front \\ upstream | ${DIALECTS.map((d) => `\`${d.upstream}\``).join(' | ')} |`);
  lines.push(`|---|${DIALECTS.map(() => '---').join('|')}|`);
  let served = 0;
  for (const f of DIALECTS) {
    const row = DIALECTS.map((u) => {
      const c = cell(reg, f, u);
      if (c.missing) return '—';
      served++;
      return c.carries.map((x) => SHORT[x]).join(' ');
    });
    lines.push(`| ${f.label} (\`${f.front}\`) | ${row.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`Served in this build: ${served} of ${DIALECTS.length * DIALECTS.length} cells.`);
  lines.push('');
  lines.push('## What each dialect carries');
  lines.push('');
  lines.push(`| dialect | ${FEATURES.join(' | ')} |`);
  lines.push(`|---|${FEATURES.map(() => '---').join('|')}|`);
  for (const d of DIALECTS) {
    lines.push(`| ${d.label} | ${FEATURES.map((f) => d.carries[f] ?? `✗ ${d.lacks[f] ?? ''}`.trim()).join(' | ')} |`);
  }
  lines.push('');
  lines.push('## What crosses no cell, and pair notes');
  lines.push('');
  lines.push('- Reasoning signatures (Anthropic thinking, Bedrock reasoning, Gemini thought signatures) replay only to the vendor that signed them; elsewhere the reasoning text is shown but not sent back.');
  lines.push('- Cache-write tokens exist only where both ends report them (Anthropic, Bedrock); other fronts fold them into input tokens.');
  for (const [pair, note] of Object.entries(PAIR_NOTES)) lines.push(`- \`${pair}\`: ${note}.`);
  lines.push('');
  return lines.join('\n');
}

export const GRID_PATH = resolve(import.meta.dirname, '../../docs/dialect-matrix.md');

if (process.argv[1] === import.meta.filename && process.argv.includes('--write')) {
  writeFileSync(GRID_PATH, renderGrid());
  console.log(`wrote ${GRID_PATH}`);
}
