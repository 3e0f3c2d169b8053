// "Since when" for usage reports (`sluice keys usage --since`, the playground's spend view):
// `7d`, `24h`, `30m` (any duration sluice reads, plus days) before now, or an ISO date or time.

import { parseDuration } from '../config/units.ts';

/** The start of the period; undefined when the text is neither a duration nor a date. */
export function sinceDate(text: string, now: number): Date | undefined {
  const trimmed = text.trim();
  const days = /^(\d+(?:\.\d+)?)d$/.exec(trimmed);
  if (days) return new Date(now - Number(days[1]) * 86_400_000);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const d = new Date(trimmed);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  try {
    return new Date(now - parseDuration(trimmed));
  } catch {
    return undefined;
  }
}
