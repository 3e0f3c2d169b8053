// Every reference a comment makes must be followable with the repository alone (issue 11): a cited
// `<file>.md §<n>` names a file of the repository (docs/, docs/protocols/, or a path) that has that
// numbered heading, a cited `SPEC §<n>` is a numbered section of docs/spec.md (the product contract),
// and a cited `Q-<n>` is a quirk of docs/quirks.md. The convention is in docs/README.md. A failure
// lists every broken citation with its file and line, and what is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');
const QUIRKS = join(DOCS, 'quirks.md');
/** What `SPEC §<n>` cites: the product contract, with the specification's section numbers. */
const SPEC_FILE = 'docs/spec.md';

/** Where code citations are checked strictly. */
const CODE_DIRS = ['src', 'bench', 'test'];
/** This file cites broken references on purpose, to show the checker finds them. */
const SELF = resolve(import.meta.filename);
const TEXT_FILE = /\.(?:ts|js|mjs|cjs|html|md|txt|yaml|yml)$/;

interface Citation {
  /** Repository-relative path of the citing file, and the 1-based line of the citation. */
  at: string;
  /** The citation as written, for the message. */
  text: string;
  /** The cited file as written (`translation.md`, `protocols/gemini.md`, `docs/errors.md`). */
  file: string;
  /** Cited sections (`7`, `8.1`, `A`); empty for a bare file reference. */
  sections: string[];
}

interface QuirkCitation {
  at: string;
  text: string;
  numbers: number[];
}

// ---------------------------------------------------------------------------------------------------
// Finding citations

/**
 * A file name ending in `.md`, with an optional relative path before it. The look-behind keeps URLs
 * (`https://host/x.md`) and absolute paths out: those are found by ABSOLUTE_MD below.
 */
const MD_FILE = /(?<![\w./:@-])((?:[\w.-]+\/)*[\w-]+\.md)(?![\w-])/g;
/** An absolute filesystem path to a .md file: never followable from the repository. */
const ABSOLUTE_MD = /(?<![\w:/.-])((?:\/[\w.-]+)+\.md)(?![\w-])/g;
/**
 * One more section in a chain after a file name: optional line break with a comment marker, an
 * optional separator (range or list), then `§` and a number (`7`, `8.1`) or a letter group (`A`).
 */
const NEXT_SECTION = /[ \t]*(,|–|—|-|and|or|to)?[ \t]*(?:\r?\n[ \t]*(?:\/\/|\*|#)?[ \t]*)?§[ \t]?(\d+(?:\.\d+)*|[A-Z](?!\w))/y;
/**
 * `SPEC` as a name (not `SPECS`, not `SPEC_X`); it is a citation only when sections follow
 * (`SPEC §4.4`, `SPEC §1, §2`, `SPEC §3.1 and §4.5`), so a variable named SPEC is not one.
 */
const SPEC_NAME = /(?<![\w-])SPEC(?![\w-])/g;
/** `Q-13`, and ranges `Q-8 – Q-14`, `Q-13 … Q-26`. */
const QUIRK = /(?<![\w-])Q-(\d+)(?:[ \t]*(?:–|—|-|…|\.\.\.|to)[ \t]*Q-(\d+))?(?![\w-])/g;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Sections `from`–`to`: every integer between for plain numbers and letters, else both ends. */
function expandRange(from: string, to: string): string[] {
  if (/^\d+$/.test(from) && /^\d+$/.test(to) && Number(from) <= Number(to)) {
    const out: string[] = [];
    for (let n = Number(from); n <= Number(to); n++) out.push(String(n));
    return out;
  }
  if (/^[A-Z]$/.test(from) && /^[A-Z]$/.test(to) && from <= to) {
    const out: string[] = [];
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out.push(String.fromCharCode(c));
    return out;
  }
  return [from, to];
}

/** The sections chained after a cited name that ends at `from`, and where the chain ends. */
function sectionsAfter(text: string, from: number): { sections: string[]; end: number } {
  const sections: string[] = [];
  let end = from;
  NEXT_SECTION.lastIndex = from;
  for (let s = NEXT_SECTION.exec(text); s !== null; s = NEXT_SECTION.exec(text)) {
    const [, separator, section] = s;
    // The first section follows the name directly; `;` or a word other than and/or/to ends a list.
    if (sections.length === 0 && separator !== undefined) break;
    const isRange = separator === '–' || separator === '—' || separator === '-' || separator === 'to';
    if (isRange && sections.length > 0) sections.push(...expandRange(sections.pop()!, section!));
    else sections.push(section!);
    end = NEXT_SECTION.lastIndex;
  }
  return { sections, end };
}

function findCitations(
  text: string,
  at: string,
): { files: Citation[]; specs: Citation[]; quirks: QuirkCitation[]; absolute: Citation[] } {
  const files: Citation[] = [];
  for (const m of text.matchAll(MD_FILE)) {
    const { sections, end } = sectionsAfter(text, m.index + m[0].length);
    files.push({ at: `${at}:${lineOf(text, m.index)}`, text: text.slice(m.index, end).replace(/\s+/g, ' '), file: m[1]!, sections });
  }
  const specs: Citation[] = [];
  for (const m of text.matchAll(SPEC_NAME)) {
    const { sections, end } = sectionsAfter(text, m.index + m[0].length);
    if (sections.length === 0) continue;
    specs.push({ at: `${at}:${lineOf(text, m.index)}`, text: text.slice(m.index, end).replace(/\s+/g, ' '), file: SPEC_FILE, sections });
  }
  const quirks: QuirkCitation[] = [];
  for (const m of text.matchAll(QUIRK)) {
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const numbers: number[] = [];
    for (let n = from; n <= Math.max(from, to); n++) numbers.push(n);
    quirks.push({ at: `${at}:${lineOf(text, m.index)}`, text: m[0], numbers });
  }
  const absolute: Citation[] = [];
  for (const m of text.matchAll(ABSOLUTE_MD)) {
    absolute.push({ at: `${at}:${lineOf(text, m.index)}`, text: m[0], file: m[1]!, sections: [] });
  }
  return { files, specs, quirks, absolute };
}

// ---------------------------------------------------------------------------------------------------
// Resolving them

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (TEXT_FILE.test(name)) out.push(path);
  }
  return out;
}

const rel = (path: string): string => relative(ROOT, path).split(sep).join('/');

const DOC_FILES = walk(DOCS).filter((f) => f.endsWith('.md'));

/** A generated file under a dot-directory (`bench/.scratch/…`): not a reference to follow. */
function isGenerated(file: string): boolean {
  return file.split('/').some((seg) => seg.startsWith('.') && seg !== '.' && seg !== '..');
}

/** The repository file a citation names, or undefined. `from` is the citing file's absolute path. */
function resolveCited(file: string, from: string): string | undefined {
  const candidates: string[] = [];
  if (file.includes('/')) {
    candidates.push(resolve(dirname(from), file), resolve(ROOT, file), resolve(DOCS, file));
  } else {
    // docs/ first (docs/x.md before docs/protocols/x.md), then beside the citing file, then the root.
    const inDocs = DOC_FILES.filter((f) => basename(f) === file).sort((a, b) => a.split(sep).length - b.split(sep).length);
    candidates.push(...inDocs, resolve(dirname(from), file), resolve(ROOT, file));
  }
  return candidates.find((c) => c.startsWith(ROOT + sep) && existsSync(c) && statSync(c).isFile());
}

const headingCache = new Map<string, Set<string>>();

/** The numbered headings of a markdown file: `## 7. Usage` → 7, `### 8.1 …` → 8.1, `## A. …` → A. */
function sectionsOf(path: string): Set<string> {
  let found = headingCache.get(path);
  if (!found) {
    found = new Set();
    for (const m of readFileSync(path, 'utf8').matchAll(/^#{1,6}[ \t]+(?:§[ \t]?)?(\d+(?:\.\d+)*|[A-Z])(?:[.)]|[ \t])/gm)) found.add(m[1]!);
    headingCache.set(path, found);
  }
  return found;
}

/** Quirk numbers with a heading in docs/quirks.md (`### Q-26. …`). */
function quirkNumbers(path = QUIRKS): number[] {
  if (!existsSync(path)) return [];
  return [...readFileSync(path, 'utf8').matchAll(/^#{1,6}[ \t]+Q-(\d+)\b/gm)].map((m) => Number(m[1]));
}

/** `SPEC §<n>` citations whose section docs/spec.md lacks (or all of them, when it is missing). */
function specProblems(specs: Citation[]): string[] {
  if (specs.length === 0) return [];
  const spec = resolve(ROOT, SPEC_FILE);
  if (!existsSync(spec)) return specs.map((c) => `${c.at}: "${c.text}" — no file ${SPEC_FILE}, which SPEC §<n> cites`);
  const have = sectionsOf(spec);
  const problems: string[] = [];
  for (const c of specs) {
    for (const s of c.sections.filter((n) => !have.has(n))) {
      problems.push(`${c.at}: "${c.text}" — ${SPEC_FILE} (what SPEC §<n> cites) has no section ${s} (its numbered headings: ${[...have].join(', ')})`);
    }
  }
  return problems;
}

/** Every problem of one file's citations, one readable line each. */
function problemsIn(path: string, strictFiles: boolean): string[] {
  const text = readFileSync(path, 'utf8');
  const { files, specs, quirks, absolute } = findCitations(text, rel(path));
  const problems: string[] = [];
  const known = new Set(quirkNumbers());
  for (const c of absolute) {
    problems.push(`${c.at}: "${c.text}" is an absolute path outside the repository; cite the copy in docs/ (docs/README.md)`);
  }
  for (const c of files) {
    if (isGenerated(c.file)) continue;
    const target = resolveCited(c.file, path);
    if (target === undefined) {
      // In docs/, a bare .md name may be an outside source (a vendor's doc page); only sections are checked there.
      if (strictFiles || c.sections.length > 0) {
        problems.push(`${c.at}: "${c.text}" — no file ${c.file} in docs/, docs/protocols/, beside the citing file or at the repository root`);
      }
      continue;
    }
    const have = sectionsOf(target);
    const missing = c.sections.filter((s) => !have.has(s));
    for (const s of missing) {
      problems.push(`${c.at}: "${c.text}" — ${rel(target)} has no section ${s} (its numbered headings: ${[...have].join(', ') || 'none'})`);
    }
  }
  problems.push(...specProblems(specs));
  for (const q of quirks) {
    for (const n of q.numbers) {
      if (!known.has(n)) problems.push(`${q.at}: "${q.text}" — docs/quirks.md has no heading for Q-${n}`);
    }
  }
  return problems;
}

/** Markdown links in docs/ that point at repository files must resolve. */
function brokenLinks(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target === '' || /^[a-z]+:/i.test(target)) continue;
    if (!existsSync(resolve(dirname(path), target))) out.push(`${rel(path)}:${lineOf(text, m.index)}: link to ${m[1]} does not exist`);
  }
  return out;
}

/** The string literals (and template texts) of a TypeScript source, with the line each starts on. */
function stringsOf(text: string, name: string): Array<{ line: number; value: string }> {
  const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Array<{ line: number; value: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      // The line of the first § (a template text may span lines), else where the literal starts.
      const start = node.getStart(source);
      const mark = text.slice(start, node.end).indexOf('§');
      out.push({ line: source.getLineAndCharacterOfPosition(start + Math.max(0, mark)).line + 1, value: node.text });
    }
    node.forEachChild(visit);
  };
  visit(source);
  return out;
}

/**
 * A string in src/ may reach a user (a doctor fix, an error, a help text): a `§` there must follow a
 * path the user can open from the repository root (`docs/protocols/sse.md §6`, `docs/spec.md §4.2`),
 * not a bare name (`sse.md §6`) or `SPEC §n`, which only the code's comment convention resolves.
 */
function userFacingProblems(path: string, text = readFileSync(path, 'utf8')): string[] {
  if (!text.includes('§')) return [];
  const problems: string[] = [];
  for (const { line, value } of stringsOf(text, path)) {
    if (!value.includes('§')) continue;
    const at = `${rel(path)}:${line}`;
    const flat = value.replace(/\s+/g, ' ');
    const { files, specs } = findCitations(flat, at);
    let rest = flat;
    for (const c of specs) problems.push(`${at}: "${c.text}" in a user-facing string — write docs/spec.md §${c.sections.join(', §')}`);
    for (const c of files) {
      rest = rest.replace(c.text, '');
      if (c.sections.length === 0) continue;
      if (!c.file.startsWith('docs/') || !existsSync(resolve(ROOT, c.file))) {
        problems.push(`${at}: "${c.text}" in a user-facing string — name the file from the repository root (docs/…)`);
      }
    }
    if (specs.length === 0 && rest.includes('§')) problems.push(`${at}: "${value}" has a § that follows no file`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------

test('a § in a user-facing string of src/ follows a docs/ path the user can open', () => {
  const problems = walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts')).flatMap((f) => userFacingProblems(f));
  if (problems.length > 0) assert.fail(`${problems.length} citation(s) a user cannot follow:\n${problems.join('\n')}`);
});

test('the user-facing check finds bare names, SPEC and stray §, and passes docs/ paths', () => {
  const sample = [
    "const a = 'terminate events with a blank line (sse.md §5)';",
    'const b = `send it (SPEC §4.2) for ${x}`;',
    "const c = 'see §3';",
    "const d = 'see docs/protocols/sse.md §6 and docs/spec.md §4.2';",
    '// a comment may cite sse.md §5 and SPEC §4.2',
  ].join('\n');
  const file = join(ROOT, 'src', '__sample__.ts');
  const found = stringsOf(sample, file).map((s) => s.value);
  assert.deepEqual(found.filter((v) => v.includes('§')), ['terminate events with a blank line (sse.md §5)', 'send it (SPEC §4.2) for ', 'see §3', 'see docs/protocols/sse.md §6 and docs/spec.md §4.2']);
  assert.deepEqual(
    userFacingProblems(file, sample).map((p) => p.replace(/ —.*/, '')),
    ['src/__sample__.ts:1: "sse.md §5" in a user-facing string', 'src/__sample__.ts:2: "SPEC §4.2" in a user-facing string', 'src/__sample__.ts:3: "see §3" has a § that follows no file'],
  );
});

test('every citation in src/, bench/ and test/ resolves to a file and section of the repository', () => {
  const sources = CODE_DIRS.flatMap((d) => walk(join(ROOT, d))).filter((f) => f !== SELF);
  assert.ok(sources.length > 50, `scanned ${sources.length} files`);
  const problems = sources.flatMap((f) => problemsIn(f, true));
  if (problems.length > 0) assert.fail(`${problems.length} broken citation(s) (convention: docs/README.md):\n${problems.join('\n')}`);
});

test('citations inside docs/ resolve too, and docs/ links point at existing files', () => {
  const problems = DOC_FILES.flatMap((f) => [...problemsIn(f, false), ...brokenLinks(f)]);
  if (problems.length > 0) assert.fail(`${problems.length} broken reference(s) in docs/:\n${problems.join('\n')}`);
});

test('docs/quirks.md numbers its quirks Q-1 … Q-N once each, without gaps', () => {
  const numbers = quirkNumbers();
  assert.ok(numbers.length >= 53, `quirks.md has ${numbers.length} quirks`);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'quirk headings are Q-1, Q-2, … in order');
});

test('the checker finds what it must and reports a citation that points nowhere', () => {
  const sample = [
    '// Usage (translation.md §7, Q-27) and errors (docs/translation.md §8; SPEC §4.2).',
    '// Gemini wire shapes (gemini.md §2–§4, §6; translation.md §1–§2,',
    '// §10). Quirks Q-8 – Q-10 and upstream-quirks.md §C–§E; see https://example.org/x.md.',
    "const f = 'bench/.scratch/RESULTS-quick.md'; // (openai-chat.md §9.1) /work/shared/x.md",
    '// Zero-config (SPEC §1, §2) and SPEC §3.1 and §4.5; SPEC_X §7, SPECS §8, const SPEC = /x/ are not.',
  ].join('\n');
  const { files, specs, quirks, absolute } = findCitations(sample, 'sample.ts');
  assert.deepEqual(
    files.map((c) => [c.at, c.file, c.sections.join(',')]),
    [
      ['sample.ts:1', 'translation.md', '7'],
      ['sample.ts:1', 'docs/translation.md', '8'],
      ['sample.ts:2', 'gemini.md', '2,3,4,6'],
      ['sample.ts:2', 'translation.md', '1,2,10'],
      ['sample.ts:3', 'upstream-quirks.md', 'C,D,E'],
      ['sample.ts:4', 'bench/.scratch/RESULTS-quick.md', ''],
      ['sample.ts:4', 'openai-chat.md', '9.1'],
    ],
  );
  assert.deepEqual(
    specs.map((c) => [c.at, c.file, c.sections.join(',')]),
    [
      ['sample.ts:1', 'docs/spec.md', '4.2'],
      ['sample.ts:5', 'docs/spec.md', '1,2'],
      ['sample.ts:5', 'docs/spec.md', '3.1,4.5'],
    ],
  );
  assert.deepEqual(quirks.map((q) => q.numbers), [[27], [8, 9, 10]]);
  assert.deepEqual(absolute.map((c) => c.file), ['/work/shared/x.md']);

  // Resolution: a bare name finds docs/ then docs/protocols/; a missing section or file is reported.
  const from = join(ROOT, 'src', 'core', 'errors.ts');
  assert.equal(resolveCited('translation.md', from), join(DOCS, 'translation.md'));
  assert.equal(resolveCited('gemini.md', from), join(DOCS, 'protocols', 'gemini.md'));
  assert.equal(resolveCited('no-such-brief.md', from), undefined);
  assert.ok(sectionsOf(join(DOCS, 'translation.md')).has('7'));
  assert.ok(!sectionsOf(join(DOCS, 'translation.md')).has('99'));
  assert.ok(!quirkNumbers().includes(999));

  // SPEC §<n> resolves to docs/spec.md, which carries the specification's section numbers.
  assert.deepEqual(specProblems(specs), []);
  const bogus = findCitations('// see SPEC §4.4 and §99', 'sample.ts').specs;
  const problems = specProblems(bogus);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^sample\.ts:1: "SPEC §4\.4 and §99" — docs\/spec\.md \(what SPEC §<n> cites\) has no section 99 \(its numbered headings: 1, 2, 3, 3\.1, 4, 4\.1,/);
});
