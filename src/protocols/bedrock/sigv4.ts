// Outbound auth for Bedrock (bedrock.md §2): SigV4 with signing name `bedrock` (not the host label
// `bedrock-runtime`), or a Bedrock API key as a Bearer token.
//
// The signature covers the exact path that is sent. The model id goes into the URL as one
// percent-encoded segment (`:` → %3A, `/` → %2F) and @smithy/signature-v4 encodes the path once more
// for the canonical request (%3A → %253A), as every AWS service but S3 expects. undici sends
// the URL's path bytes unchanged, so what is signed is what arrives.

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { GatewayError } from '../../core/errors.ts';
import type { AwsCredentials, CredentialCache } from './credentials.ts';

/** The SigV4 signing name of Bedrock Runtime (the model's `aws.auth#sigv4 {name: "bedrock"}`). */
export const SIGNING_SERVICE = 'bedrock';

/** The HTTP request shape auth works on (the plugin interface's UpstreamHttpRequest). */
export interface SignableRequest {
  url: string;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(d: SourceData): string | Uint8Array {
  if (typeof d === 'string') return d;
  return d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** SHA-256 for @smithy/signature-v4 on node:crypto (the AWS SDK's Node hash does the same). */
export class NodeSha256 {
  readonly #secret: string | Uint8Array | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytesOf(secret);
    this.#hash = this.#create();
  }

  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    const out = this.#hash.digest();
    return Promise.resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }

  reset(): void {
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}

export interface SigV4Options {
  provider: string;
  region: string;
  credentials: CredentialCache;
  /** The signing clock (tests inject one). */
  now?: () => number;
}

export interface BearerOptions {
  provider: string;
  token: string;
}

/** Adds credentials to an outgoing request (the plugin interface's OutboundAuth). */
export interface RequestAuth {
  apply(req: SignableRequest, signal?: AbortSignal): void | Promise<void>;
}

/** Bedrock API keys (`api_key`, or AWS_BEARER_TOKEN_BEDROCK): `Authorization: Bearer`, no SigV4. */
export function bearerAuth(o: BearerOptions): RequestAuth {
  const value = `Bearer ${o.token}`;
  return {
    apply(req) {
      req.headers.authorization = value;
    },
  };
}

/** Headers a proxy may change or drop: never signed (the Anthropic Bedrock SDK drops `connection` too). */
const UNSIGNED = new Set(['connection', 'user-agent', 'x-request-id', 'traceparent', 'tracestate', 'authorization']);

export function sigV4Auth(o: SigV4Options): RequestAuth {
  const now = o.now ?? Date.now;
  const signers = new WeakMap<AwsCredentials, SignatureV4>();
  const signerFor = (creds: AwsCredentials): SignatureV4 => {
    let s = signers.get(creds);
    if (s === undefined) {
      s = new SignatureV4({ service: SIGNING_SERVICE, region: o.region, credentials: creds, sha256: NodeSha256, uriEscapePath: true });
      signers.set(creds, s);
    }
    return s;
  };
  const sign = async (req: SignableRequest, creds: AwsCredentials): Promise<void> => {
    const url = new URL(req.url);
    const headers: Record<string, string> = { host: url.host };
    for (const [name, value] of Object.entries(req.headers)) {
      const lower = name.toLowerCase();
      if (!UNSIGNED.has(lower)) headers[lower] = value;
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    let signed;
    try {
      signed = await signerFor(creds).sign(
        {
          method: req.method ?? 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port === '' ? undefined : Number(url.port),
          path: url.pathname,
          query,
          headers,
          body: req.body === '' ? undefined : req.body,
        },
        { signingDate: new Date(now()) },
      );
    } catch (err) {
      throw new GatewayError('upstream_auth', `${o.provider}: could not sign the request: ${(err as Error).message}`, { cause: err });
    }
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name === 'host') continue; // undici sends the URL's host itself
      req.headers[name] = value;
    }
  };
  return {
    apply(req) {
      const creds = o.credentials.get();
      return creds instanceof Promise ? creds.then((c) => sign(req, c)) : sign(req, creds);
    },
  };
}
