// `data:<mime>[;params];base64,<payload>` (translation.md §2). Parsed by index, not by regex: payloads
// are megabytes of base64 and only the header needs looking at.

export interface DataUrl {
  mediaType: string;
  data: string;
}

/** The parts of a base64 data URL, or undefined when `url` is not one (also for non-base64 data URLs). */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const header = url.slice(5, comma);
  if (!header.toLowerCase().endsWith(';base64')) return undefined;
  const semicolon = header.indexOf(';');
  const mediaType = header.slice(0, semicolon).trim().toLowerCase();
  return { mediaType: mediaType || 'application/octet-stream', data: url.slice(comma + 1) };
}

export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}
