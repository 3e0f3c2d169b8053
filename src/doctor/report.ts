// Turning a report into an exit code (SPEC §1: 0 healthy, 1 problem found, 2 could not test) and into
// the human-readable listing: one line per check, culprit and fix indented beneath a problem.

import type { CheckStatus, DoctorReport } from './types.ts';

export function exitCodeOf(report: DoctorReport): 0 | 1 | 2 {
  if (report.couldNotTest) return 2;
  return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
}

const MARK: Record<CheckStatus, string> = { pass: '✔', fail: '✖', warn: '!', skip: '-' };

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length), 8);
  const lines = [`sluice doctor: ${report.url}`, ''];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]} ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.status === 'pass' || c.status === 'skip') continue;
    if (c.culprit) lines.push(`    culprit: ${c.culprit}`);
    if (c.fix) {
      const [first, ...rest] = c.fix.split('\n');
      lines.push(`    fix:     ${first}`);
      for (const more of rest) lines.push(`             ${more}`);
    }
  }
  const count = (s: CheckStatus): number => report.checks.filter((c) => c.status === s).length;
  const summary = `${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings, ${count('skip')} skipped`;
  const verdict = report.couldNotTest ? 'could not test (exit 2)' : count('fail') > 0 ? 'problem found (exit 1)' : 'healthy (exit 0)';
  lines.push('', `${summary}: ${verdict}`);
  return lines.join('\n');
}

/** A gateway may echo the client key in an error message (OpenAI does, partly masked); the report never carries it. */
export function redactKey(report: DoctorReport, key: string | undefined): DoctorReport {
  if (!key) return report;
  const needle = JSON.stringify(key).slice(1, -1);
  const text = JSON.stringify(report);
  return text.includes(needle) ? (JSON.parse(text.split(needle).join('***')) as DoctorReport) : report;
}
