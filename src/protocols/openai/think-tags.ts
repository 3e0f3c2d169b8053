// Streaming-safe `<think>…</think>` splitter for upstreams that inline reasoning in `content`
// (MiniMax /v1 without reasoning_split, some vLLM/llama.cpp templates; ). Tags may be split
// across chunks ("<thi" + "nk>"), so a trailing fragment that could start a tag is held back until the
// next chunk decides; everything else is passed on at once (no buffering of the answer).

export interface ThinkSink {
  text(text: string): void;
  reasoning(text: string): void;
}

const OPEN = '<think>';
const CLOSE = '</think>';

export class ThinkTagSplitter {
  readonly #sink: ThinkSink;
  #inThink = false;
  /** A held tail that may be the start of the next tag. At most 7 characters. */
  #carry = '';
  /** After `</think>` the model separates reasoning from the answer with newlines: not part of the answer. */
  #trimNewlines = false;

  constructor(sink: ThinkSink) {
    this.#sink = sink;
  }

  push(chunk: string): void {
    let buf = this.#carry === '' ? chunk : this.#carry + chunk;
    this.#carry = '';
    while (buf !== '') {
      const tag = this.#inThink ? CLOSE : OPEN;
      const at = buf.indexOf(tag);
      if (at >= 0) {
        this.#out(at === 0 ? '' : buf.slice(0, at));
        this.#inThink = !this.#inThink;
        if (!this.#inThink) this.#trimNewlines = true;
        buf = buf.slice(at + tag.length);
        continue;
      }
      const keep = partialTagAtEnd(buf, tag);
      if (keep === 0) {
        this.#out(buf);
      } else {
        this.#out(buf.slice(0, buf.length - keep));
        this.#carry = buf.slice(buf.length - keep);
      }
      return;
    }
  }

  /** End of content: a held tail was not a tag after all. */
  flush(): void {
    const rest = this.#carry;
    this.#carry = '';
    this.#out(rest);
  }

  #out(text: string): void {
    if (text === '') return;
    if (this.#inThink) {
      this.#sink.reasoning(text);
      return;
    }
    if (this.#trimNewlines) {
      let i = 0;
      while (i < text.length && (text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)) i++;
      if (i === text.length) return;
      this.#trimNewlines = false;
      if (i > 0) text = text.slice(i);
    }
    this.#sink.text(text);
  }
}

/**
 * Length of the longest suffix of `buf` that is a proper prefix of `tag`. Tags contain a single '<',
 * at their start, so the only candidate begins at the last '<'.
 */
function partialTagAtEnd(buf: string, tag: string): number {
  const lt = buf.lastIndexOf('<');
  if (lt < 0 || buf.length - lt >= tag.length) return 0;
  return tag.startsWith(buf.slice(lt)) ? buf.length - lt : 0;
}

/** Non-streaming form: splits a whole `content` string into reasoning and answer text. */
export function splitThinkTags(content: string): { reasoning: string; text: string } {
  let reasoning = '';
  let text = '';
  const splitter = new ThinkTagSplitter({
    text: (t) => {
      text += t;
    },
    reasoning: (t) => {
      reasoning += t;
    },
  });
  splitter.push(content);
  splitter.flush();
  return { reasoning, text };
}
