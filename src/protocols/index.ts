// The protocol registry: an array, not a switch. The pipeline looks codecs up by name and never
// names a protocol itself.

import type { FrontCodec, UpstreamCodec } from '../core/protocol.ts';
import type { ProtocolName } from '../core/request.ts';
import { openaiFront, openaiUpstream } from './openai/index.ts';
import { anthropicFront, anthropicUpstream } from './anthropic/index.ts';
import { geminiUpstream } from './gemini/index.ts';

export const fronts: readonly FrontCodec[] = [openaiFront, anthropicFront];
export const upstreams: readonly UpstreamCodec[] = [openaiUpstream, anthropicUpstream, geminiUpstream];

export function frontCodec(name: ProtocolName): FrontCodec {
  const codec = fronts.find((c) => c.name === name);
  if (!codec) throw new Error(`no front codec for ${name}`);
  return codec;
}

export function upstreamCodec(name: string): UpstreamCodec | undefined {
  return upstreams.find((c) => c.name === name);
}
