// The path and query of a request's target. `new URL(target, base)` (WHATWG parsing) cost about as much
// as the rest of routing for the targets clients actually send (`/v1/chat/completions`,
// `/v1/messages?beta=true`, `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`): for a
// path of plain characters with no dot segment, no empty segment and no percent-escape, and a query of
// printable ASCII, the parser would return both unchanged, so they are cut at the `?` instead and the
// query is parsed only if someone reads it. Anything else goes through `new URL` as before
// (test/server/request-target.test.ts compares the two on generated targets).

const BASE = 'http://sluice.local';

/** What routing reads of a target: a URL, or the same two parts cut by hand. */
export interface RequestTarget {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/** pchar without `%` (RFC 3986), and `/`: what the WHATWG parser leaves untouched in a path. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
/** Printable ASCII except `#` (a fragment) — untouched by the parser in a query, and decoded alike by URLSearchParams. */
const PLAIN_QUERY = /^[\x21\x22\x24-\x7e]*$/;

class PlainTarget implements RequestTarget {
  readonly pathname: string;
  readonly #search: string;
  #params: URLSearchParams | undefined;

  constructor(pathname: string, search: string) {
    this.pathname = pathname;
    this.#search = search;
  }

  get searchParams(): URLSearchParams {
    return (this.#params ??= new URLSearchParams(this.#search));
  }
}

export function requestTarget(raw: string | undefined): RequestTarget {
  const target = raw ?? '/';
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const search = q < 0 ? '' : target.slice(q + 1);
  // `//` could be read as an authority, `/.` starts a dot segment the parser resolves.
  if (PLAIN_PATH.test(path) && !path.includes('//') && !path.includes('/.') && (search === '' || PLAIN_QUERY.test(search))) {
    return new PlainTarget(path, search);
  }
  return new URL(target, BASE);
}

/** The target as a URL, for the handlers that take one (parsed again only off the API routes). */
export function asUrl(target: RequestTarget, raw: string | undefined): URL {
  return target instanceof URL ? target : new URL(raw ?? '/', BASE);
}
