// The request target cut by hand (src/server/request-target.ts) against `new URL`: on generated
// targets — plain ones and ones with dot segments, empty segments, escapes, backslashes, fragments,
// non-ASCII — the path and every query parameter are what the WHATWG parser gives, and the common
// targets take the hand path.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { requestTarget } from '../../src/server/request-target.ts';
import { mulberry32 } from '../helpers/prng.ts';

const PIECES = ['v1', 'chat', 'completions', 'models', 'gemini-2.5-flash:streamGenerateContent', 'a.b', '.', '..', '', '%2e', '%41', 'x y', '\\', 'é', '~u', "it's", '@', '+', '*', '=', ';', '!', '$', '(', ')'];
const QUERY = ['beta=true', 'alt=sse', 'key=AIza-x_y', 'a=1&b=2', 'a+b=c+d', 'q=%20', 'q=%zz', 'x', '=', '&&', 'k=é', 'k="v"', "k='v'", 'k=<>', 'k=#frag', 'k=a/b?c', 'k=`', 'k={}', 'k=|', 'k=^'];

function target(rand: () => number): string {
  const segments = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => PIECES[Math.floor(rand() * PIECES.length)]!);
  let t = '/' + segments.join('/');
  if (rand() < 0.1) t = '/' + t;
  if (rand() < 0.1) t += '/';
  if (rand() < 0.5) t += '?' + Array.from({ length: 1 + Math.floor(rand() * 2) }, () => QUERY[Math.floor(rand() * QUERY.length)]!).join('&');
  return t;
}

/** Whether the hand path took `raw` (after checking the result against new URL). */
function sameAsUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw, 'http://sluice.local');
  } catch {
    // A target the parser refuses (`//@/`) is refused alike.
    assert.throws(() => requestTarget(raw), TypeError, raw);
    return false;
  }
  const got = requestTarget(raw);
  assert.equal(got.pathname, url.pathname, raw);
  assert.deepEqual([...got.searchParams], [...url.searchParams], raw);
  return !(got instanceof URL);
}

describe('request target', () => {
  test('the same path and query as new URL on generated targets', () => {
    const rand = mulberry32(8122026);
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      const raw = target(rand);
      if (sameAsUrl(raw)) plain++;
    }
    // Both paths are exercised.
    assert.ok(plain > 2000 && plain < 18_000, `plain ${plain}`);
  });

  test('what clients send is cut by hand; anything unusual is parsed', () => {
    for (const raw of ['/v1/chat/completions', '/v1/messages?beta=true', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', '/v1/responses', '/chat/completions', '/v1/models/', '/']) {
      assert.ok(!(requestTarget(raw) instanceof URL), raw);
      sameAsUrl(raw);
    }
    for (const raw of ['/v1/../v1/chat/completions', '//evil/v1/chat/completions', '/v1/%63hat/completions', '/v1\\chat', '/v1/chat?x=é', '/v1/chat#f', 'http://host/v1/chat', '*']) {
      assert.ok(requestTarget(raw) instanceof URL, raw);
    }
    assert.equal(requestTarget(undefined).pathname, '/');
  });
});
