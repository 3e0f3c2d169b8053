// YAML text → plain tree, with syntax errors as `file:line:col: message` problems.

import { type YAMLError, parseDocument } from 'yaml';
import { ConfigError } from './errors.ts';

// One syntax slip (an unclosed bracket) makes the parser report every token after it; beyond the
// first few lines those are noise, so they are counted instead of listed.
const MAX_SYNTAX_PROBLEMS = 3;

function describe(err: YAMLError, source: string, lines: readonly string[], hinted: { done: boolean }): string {
  // The pretty message ends with a snippet of the file, which may hold a pasted secret; keep only
  // the sentence and report the position ourselves.
  const sentence = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const at = err.linePos?.[0];
  if (at === undefined) return `${source}: ${sentence}`;
  // `{ key: ${VAR} }` is the classic trap: `{` and `}` are flow-collection syntax in YAML.
  let hint = '';
  if (!hinted.done && /[{[][^\n]*\$\{/.test(lines[at.line - 1] ?? '')) {
    hint = ' (quote "${…}" values inside { } or [ ])';
    hinted.done = true;
  }
  return `${source}:${at.line}:${at.col}: ${sentence}${hint}`;
}

export function parseYamlTree(text: string, source: string): unknown {
  // `merge` allows `<<: *defaults`, the usual way to share provider settings between entries.
  const doc = parseDocument(text, { prettyErrors: true, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = text.split(/\r\n|\r|\n/);
    const hinted = { done: false };
    const problems = doc.errors.slice(0, MAX_SYNTAX_PROBLEMS).map((err) => describe(err, source, lines, hinted));
    const more = doc.errors.length - problems.length;
    if (more > 0) problems.push(`${source}: ${more} more YAML syntax error${more === 1 ? '' : 's'} after these`);
    throw new ConfigError(problems);
  }
  return doc.toJS({ maxAliasCount: 100 });
}
