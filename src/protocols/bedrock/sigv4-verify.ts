// SigV4 verification, as Bedrock does it, for `sluice mock` (and the Bedrock front's tests): the
// signature is recomputed with @smithy/signature-v4 from the request as received — the raw path, the
// signed headers only, the body — and a known secret, then compared. The errors are AWS's own
// (bedrock.md §7): a client that signs the singly-encoded path, uses the signing name
// `bedrock-runtime`, or the wrong secret gets the 403 the real service gives.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256, SIGNING_SERVICE } from './sigv4.ts';

export interface KnownKey {
  secretAccessKey: string;
  /** Temporary credentials: the x-amz-security-token that must come with them. */
  sessionToken?: string;
}

export interface SignedRequest {
  method: string;
  /** The request target as received: percent-encoded path and query. */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Verdict =
  | { ok: true; accessKeyId: string; region: string }
  | { ok: false; status: number; type: string; message: string };

/** AWS rejects signatures more than 15 minutes from its clock ("Signature expired"). */
const MAX_SKEW_MS = 15 * 60_000;
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function deny(type: string, message: string, status = 403): Verdict {
  return { ok: false, status, type, message };
}

/** Parses `YYYYMMDDTHHMMSSZ`. */
function amzDate(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

export async function verifySigV4(req: SignedRequest, keys: (accessKeyId: string) => KnownKey | undefined, now: number): Promise<Verdict> {
  const auth = one(req.headers.authorization);
  if (auth === undefined || auth === '') return deny('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH.exec(auth);
  if (m === null) {
    return deny('IncompleteSignatureException', `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${auth.split(' ')[0]}`, 400);
  }
  const [, accessKeyId, scopeDate, region, service, signedList, signature] = m;
  const key = keys(accessKeyId);
  if (key === undefined) return deny('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== SIGNING_SERVICE) {
    return deny('InvalidSignatureException', `Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`);
  }
  const token = one(req.headers['x-amz-security-token']);
  if (key.sessionToken !== undefined && token !== key.sessionToken) {
    return deny('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const dateHeader = one(req.headers['x-amz-date']);
  const signedAt = dateHeader === undefined ? undefined : amzDate(dateHeader);
  if (dateHeader === undefined || signedAt === undefined || !dateHeader.startsWith(scopeDate)) {
    return deny('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.', 400);
  }
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    return deny('InvalidSignatureException', `Signature expired: ${dateHeader} is now earlier than ${new Date(now - MAX_SKEW_MS).toISOString()}`);
  }
  const signed = signedList.split(';');
  if (!signed.includes('host')) return deny('InvalidSignatureException', MISMATCH);

  // A signed payload hash must be the body's: smithy would otherwise trust the header as it is.
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = one(req.headers[name]);
    if (v === undefined) return deny('InvalidSignatureException', MISMATCH);
    headers[name] = v;
  }
  if (headers['x-amz-content-sha256'] !== undefined && headers['x-amz-content-sha256'] !== bodyHash) {
    return deny('XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.', 400);
  }

  const q = req.target.indexOf('?');
  const path = q < 0 ? req.target : req.target.slice(0, q);
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(req.target.slice(q + 1))) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: token },
    sha256: NodeSha256,
    uriEscapePath: true,
    // The payload hash header is only added when it was signed (then it is in `headers` already).
    applyChecksum: false,
  });
  const expected = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: headers.host ?? '', path, query, headers, body: req.body.length === 0 ? undefined : req.body },
    { signingDate: new Date(signedAt), signableHeaders: new Set(signed) },
  );
  const got = /Signature=([0-9a-f]{64})$/.exec(expected.headers.authorization ?? '')?.[1] ?? '';
  const sameHeaders = /SignedHeaders=([^,\s]+)/.exec(expected.headers.authorization ?? '')?.[1] === signedList;
  if (!sameHeaders || got.length !== signature.length || !timingSafeEqual(Buffer.from(got), Buffer.from(signature))) {
    return deny('InvalidSignatureException', MISMATCH);
  }
  return { ok: true, accessKeyId, region };
}
