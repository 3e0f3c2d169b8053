// The protocol registry: the only list of dialects (docs/adding-a-protocol.md). Everything else —
// the server's routes, config's provider types, presets and fields, `sluice mock`, `sluice doctor`,
// the playground, the conformance suite — reads it through the lookups below and never names a
// dialect itself.

import type { FrontCodec, ProviderPreset, ProviderType, UpstreamCodec } from '../core/protocol.ts';
import type { DoctorProbe } from '../doctor/probe.ts';
import type { MockDialect } from '../mock/dialect.ts';
import type { PlaygroundAdapter, Protocol, SettingsSection } from './plugin.ts';
import { openai } from './openai/index.ts';
import { anthropic } from './anthropic/index.ts';
import { gemini } from './gemini/index.ts';
import { demo } from './demo/index.ts';
import { bedrock } from './bedrock/index.ts';
import { cohere } from './cohere/index.ts';
import { openaiResponses } from './openai-responses/index.ts';
import { vertex } from './vertex/index.ts';
import { azureOpenAI } from './azure-openai/index.ts';

export const protocols: readonly Protocol[] = [
  openai,
  anthropic,
  gemini,
  demo,
  bedrock,
  cohere,
  openaiResponses,
  vertex,
  azureOpenAI,
];

export const fronts: readonly FrontCodec[] = protocols.flatMap((p) => (p.front ? [p.front] : []));
export const upstreams: readonly UpstreamCodec[] = protocols.flatMap((p) => (p.upstream ? [p.upstream] : []));
export const providerTypes: readonly ProviderType[] = protocols.flatMap((p) => p.providerTypes ?? []);

export function protocol(name: string): Protocol | undefined {
  return protocols.find((p) => p.name === name);
}

export function frontCodec(name: string): FrontCodec {
  const codec = fronts.find((c) => c.name === name);
  if (!codec) throw new Error(`no front codec for ${name}`);
  return codec;
}

export function upstreamCodec(name: string): UpstreamCodec | undefined {
  return upstreams.find((c) => c.name === name);
}

export function providerType(type: string): ProviderType | undefined {
  return providerTypes.find((t) => t.type === type);
}

export interface PresetEntry {
  name: string;
  type: ProviderType;
  preset: ProviderPreset;
}

/** Every preset, in registry order (zero-config adds providers in this order). */
export const presets: readonly PresetEntry[] = providerTypes.flatMap((type) =>
  Object.entries(type.presets ?? {}).map(([name, preset]) => ({ name, type, preset })),
);

export function findPreset(name: string): PresetEntry | undefined {
  return presets.find((p) => p.name === name);
}

export function mockDialects(): MockDialect[] {
  return protocols.flatMap((p) => (p.mock === undefined ? [] : Array.isArray(p.mock) ? p.mock : [p.mock as MockDialect]));
}

export function doctorProbe(name: string): DoctorProbe | undefined {
  return protocols.find((p) => p.doctor?.name === name)?.doctor;
}

export function doctorProtocols(): string[] {
  return protocols.flatMap((p) => (p.doctor ? [p.doctor.name] : []));
}

export function playgroundAdapters(): Array<{ front: string } & PlaygroundAdapter> {
  return protocols.flatMap((p) => (p.front && p.playground ? [{ front: p.front.name, ...p.playground }] : []));
}

/** Top-level config sections a protocol owns (e.g. `responses:`), by key. */
export function settingsSections(): SettingsSection[] {
  return protocols.flatMap((p) => (p.settings ? [p.settings] : []));
}

/** The protocol whose front is `front`, for its settings section. */
export function frontSettingsKey(front: string): string | undefined {
  return protocols.find((p) => p.front?.name === front)?.settings?.key;
}
