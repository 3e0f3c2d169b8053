// GET / — the playground (SPEC §5): one self-contained HTML page (page.html beside this file, with
// inline CSS and JS, no build step, no external URL). It talks to the same gateway through
// GET /v1/models and the fronts of the registry (each protocol's playground adapter: how to ask
// for a stream and read its events), so it sees exactly what any client sees.
// The page is read once at startup; its Content-Security-Policy allows only its own inline script
// and style (by hash) and requests to this origin.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppOptions, RouteHandler } from '../server/app.ts';

import { playgroundAdapters } from '../protocols/index.ts';

/**
 * The adapters as page script: their functions are self-contained by contract (protocols/plugin.ts),
 * so their source text (types already stripped by Node) runs as it is in the browser.
 */
function frontsScript(): string {
  const items = playgroundAdapters().map(
    (a) => `{ front: ${JSON.stringify(a.front)}, label: ${JSON.stringify(a.label)}, request: ${a.request.toString()}, read: ${a.read.toString()} }`,
  );
  return `[${items.join(', ')}]`;
}

export const PLAYGROUND_HTML = readFileSync(join(import.meta.dirname, 'page.html'), 'utf8').replace('/*FRONTS*/[]', () => frontsScript());

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
