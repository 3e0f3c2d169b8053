// `POST /admin/reload` (SPEC §3, §11): the admin key of `auth.admin_key`, presented like a client key
// (`Authorization: Bearer` or `x-api-key`), re-reads the config. Without an admin key in the config
// the admin endpoints are off (404 saying how to turn them on). Client keys never open them.
//
// Answers: 200 `{"status":"reloaded","generation":N}`; 422 `{"status":"refused","generation":N,
// "problems":[…]}` with the generation still serving; errors in the OpenAI shape otherwise.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.ts';
import { frontCodec } from '../protocols/index.ts';
import { sendError } from '../gateway/pipeline.ts';
import { presentedKey } from './auth.ts';
import { httpOutput } from './http-output.ts';
import type { ReloadResult } from './reload.ts';

export async function serveAdminReload(
  req: IncomingMessage,
  res: ServerResponse,
  adminKey: string | undefined,
  reload: (() => Promise<ReloadResult>) | undefined,
): Promise<void> {
  const codec = frontCodec('openai');
  req.resume();
  if (adminKey === undefined || reload === undefined) {
    sendError(httpOutput(res), codec, new GatewayError('not_found', 'the admin API is off: set auth.admin_key in the config to use POST /admin/reload'), {});
    return;
  }
  if (req.method !== 'POST') {
    sendError(httpOutput(res), codec, new GatewayError('not_found', `${req.method} /admin/reload is not supported; use POST`), {});
    return;
  }
  if (!sameSecret(presentedKey(req.headers), adminKey)) {
    sendError(httpOutput(res), codec, new GatewayError('unauthorized', 'missing or invalid admin key'), {});
    return;
  }
  const result = await reload();
  const body = result.ok
    ? { status: 'reloaded', generation: result.generation, restart_only: result.restartOnly }
    : { status: 'refused', generation: result.generation, problems: result.problems };
  const text = JSON.stringify(body);
  res.writeHead(result.ok ? 200 : 422, { 'content-type': 'application/json' });
  res.end(text);
}

/** Constant-time comparison of digests, so the admin key cannot be guessed byte by byte. */
function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
