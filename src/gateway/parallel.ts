// Several upstream calls of one attempt (an embeddings request cut into calls, docs/embeddings.md),
// a bounded number at a time: a vendor that takes one text per call must not see a 2048-text request
// as 2048 simultaneous calls.

/**
 * `call` for every part, at most `concurrency` at once, results in part order. The first failure
 * aborts the calls in flight (their own abort errors are not what failed) and starts no more.
 */
export async function callsInParallel<P, R>(parts: readonly P[], concurrency: number, signal: AbortSignal, call: (part: P, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  if (signal.aborted) local.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  const results = new Array<R>(parts.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < parts.length) {
      const i = next++;
      try {
        results[i] = await call(parts[i]!, local.signal);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
          local.abort(err);
        }
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, parts.length)) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failed) throw failure;
  return results;
}
