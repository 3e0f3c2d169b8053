// Text kept as it streams, to be joined once at its end (a Responses item's text, an answer built
// from its deltas). An array of one string per delta costs far more than the text: a 1M-event stream
// held ~180 MB in its fragments (bench/RESULTS.md, long stream). Every PIECES_PER_RUN fragments are
// joined into one flat string, so what is kept is the text plus one small string per run: linear
// work (each fragment is copied twice at most) and flat overhead.

/** Fragments joined into one run: large enough that runs are few, small enough that a join is cheap. */
const PIECES_PER_RUN = 4096;

export class Pieces {
  private runs: string[] | undefined;
  private pending: string[] = [];

  push(text: string): void {
    const pending = this.pending;
    pending.push(text);
    if (pending.length < PIECES_PER_RUN) return;
    (this.runs ??= []).push(pending.join(''));
    this.pending = [];
  }

  /** Everything pushed so far, as one string. */
  join(): string {
    const tail = this.pending.join('');
    if (this.runs === undefined) return tail;
    return this.runs.join('') + tail;
  }
}
