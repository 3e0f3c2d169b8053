// GET / — the playground (SPEC §5): one self-contained HTML page (page.html beside this file, with
// inline CSS and JS, no build step, no external URL). It talks to the same gateway through
// GET /v1/models and POST /v1/chat/completions, so it sees exactly what any client sees.
// The page is read once at startup; its Content-Security-Policy allows only its own inline script
// and style (by hash) and requests to this origin.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppOptions, RouteHandler } from '../server/app.ts';

export const PLAYGROUND_HTML = readFileSync(join(import.meta.dirname, 'page.html'), 'utf8');

function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))) {
    out.push(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  }
  return out;
}

const CSP = [
  "default-src 'none'",
  `script-src ${inlineHashes(PLAYGROUND_HTML, 'script').join(' ')}`,
  `style-src ${inlineHashes(PLAYGROUND_HTML, 'style').join(' ')}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const BODY = Buffer.from(PLAYGROUND_HTML, 'utf8');

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-length': String(BODY.length),
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidate on each visit, so an upgraded gateway serves its new page.
  'cache-control': 'no-cache',
};

export const playgroundHandler: RouteHandler = (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('the playground is GET /\n');
    return;
  }
  res.writeHead(200, HEADERS);
  res.end(req.method === 'HEAD' ? undefined : BODY);
};

/** Mounts the playground at `/`, keeping every other route. */
export function attachPlayground(appOptions: AppOptions): AppOptions {
  return { ...appOptions, routes: { ...appOptions.routes, '/': playgroundHandler } };
}
