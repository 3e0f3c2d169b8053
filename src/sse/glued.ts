// Recovery for quirk Q-8: two SSE events glued into one data value, e.g. Azure AI Foundry's
// `{…content_block_delta…}    event: content_block_delta` followed by the next `data: {…}` line
// (openclaw/openclaw#32179), or `{…}{…}`. Called only after JSON.parse failed, so it favours clarity.

const DONE_MARKER = '[DONE]';

/**
 * Returns the JSON documents (objects or arrays, as source text) found in `data`, in order, when the
 * only other content is whitespace and stray SSE field prefixes (`data:`, `event: <name>`). The
 * OpenAI end marker `[DONE]` counts as a document too, since glued streams carry it.
 * Returns undefined when anything else is in the way or a document is not valid JSON.
 */
export function splitGluedJson(data: string): string[] | undefined {
  const documents: string[] = [];
  let pos = skipWhitespace(data, 0);
  while (pos < data.length) {
    const char = data[pos];
    if (char === '{' || char === '[') {
      const end = endOfJsonValue(data, pos);
      if (end === -1) return undefined;
      const document = data.slice(pos, end);
      if (document !== DONE_MARKER && !isJson(document)) return undefined;
      documents.push(document);
      pos = end;
    } else if (data.startsWith('data:', pos)) {
      pos += 'data:'.length;
    } else if (data.startsWith('event:', pos)) {
      pos = skipEventName(data, pos + 'event:'.length);
    } else {
      return undefined;
    }
    pos = skipWhitespace(data, pos);
  }
  return documents.length > 0 ? documents : undefined;
}

/**
 * Index just past the bracket that closes the object or array opening at `start`, or -1. Brackets
 * inside JSON strings (with their backslash escapes) do not count.
 */
function endOfJsonValue(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      depth++;
    } else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Skips spaces/tabs and then the event name, which ends at whitespace or where a document starts. */
function skipEventName(text: string, pos: number): number {
  while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
  while (pos < text.length && !isJsonWhitespace(text[pos]) && text[pos] !== '{' && text[pos] !== '[') pos++;
  return pos;
}

function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length && isJsonWhitespace(text[pos])) pos++;
  return pos;
}

function isJsonWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
