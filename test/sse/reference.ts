// A deliberately naive reference of the same contract, working on the whole input as a string:
// WHATWG "UTF-8 decode" (TextDecoder strips one leading BOM), split on CRLF/CR/LF, then the §9.2.6 field
// rules, then sluice's EOF salvage. Used only to cross-check the incremental decoder.
import type { Decoded } from './collect.ts';

export function referenceDecode(input: Uint8Array): Decoded {
  const out: Decoded = { events: [], comments: [], retries: [], errors: [] };
  const lines = new TextDecoder('utf-8').decode(input).split(/\r\n|\r|\n/);
  const unterminated = lines.pop() ?? '';
  if (unterminated !== '') lines.push(unterminated);
  let data: string[] = [];
  let eventType = '';
  let lastEventId = '';
  const dispatch = () => {
    if (data.length > 0) out.events.push({ event: eventType, data: data.join('\n'), id: lastEventId });
    data = [];
    eventType = '';
  };
  for (const line of lines) {
    if (line === '') {
      dispatch();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (colon === 0) out.comments.push(value);
    else if (field === 'data') data.push(value);
    else if (field === 'event') eventType = value;
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value) && Number.isSafeInteger(Number(value))) out.retries.push(Number(value));
  }
  if (data.length > 0) {
    const joined = data.join('\n');
    let complete = joined === '[DONE]';
    try {
      JSON.parse(joined);
      complete = true;
    } catch {
      // not JSON: dropped like the spec says
    }
    if (complete) dispatch();
  }
  return out;
}
