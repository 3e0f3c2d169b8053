// What one protocol folder declares (docs/adding-a-protocol.md). The registry (index.ts) lists these
// records and is the only list of dialects: the server mounts the routes of each front, config reads
// provider types, presets and their fields from here, `sluice mock` serves each mock dialect,
// `sluice doctor --protocol` finds its probe, the playground its front adapters, and the conformance
// suite asks each front for its own invariants.

import type { z } from 'zod';
import type { FrontCodec, ProviderType, UpstreamCodec } from '../core/protocol.ts';
import type { MockDialect } from '../mock/dialect.ts';
import type { DoctorProbe } from '../doctor/probe.ts';
import type { FrontAnswer } from './shared/conformance.ts';

export type { FrontAnswer } from './shared/conformance.ts';

/** A front's own stream rules, for the conformance suite (test/conformance/) and the e2e wire tests. */
export interface FrontConformance {
  /**
   * Parses the raw stream a client received (as text), checks every rule of the front's grammar
   * (throwing a node:assert error naming the broken one) and returns the answer it carries.
   */
  check(output: string, opts: { model: string; includeUsage: boolean }): FrontAnswer;
  /**
   * A binary framing's output (as a latin1 string) rendered as text, for comparing outputs with
   * minted ids masked (checksums change with the ids); text framings leave it out.
   */
  readable?(output: string): string;
}

/**
 * The playground's adapter for a front: plain functions with no imports and no closure, serialised
 * into the page with Function.prototype.toString (Node strips the types before they run).
 */
export interface PlaygroundAdapter {
  label: string;
  /** The streaming request for a prompt. */
  request: (model: string, prompt: string) => { path: string; headers: Record<string, string>; body: unknown };
  /** Reads one SSE event of the answer: text and reasoning to append, an error, or the end. */
  read: (
    event: string,
    data: string,
  ) => { text?: string; reasoning?: string; error?: string; done?: boolean; usage?: { input: number; output: number } };
}

/** A front's own top-level config section (e.g. `responses:`), validated and resolved by config. */
export interface SettingsSection<T = unknown> {
  key: string;
  schema: z.ZodType;
  /** The validated YAML value (undefined when the section is absent) → what FrontServices.settings holds. */
  resolve(raw: unknown): T;
}

export interface Protocol {
  readonly name: string;
  readonly front?: FrontCodec;
  /** The dialect's upstream codec, also for other provider types to reuse (Vertex reuses Gemini's). */
  readonly upstream?: UpstreamCodec;
  readonly providerTypes?: readonly ProviderType[];
  /** What `sluice mock` answers for it; several when one provider type speaks several wire dialects (Vertex). */
  readonly mock?: MockDialect | readonly MockDialect[];
  readonly doctor?: DoctorProbe;
  readonly conformance?: FrontConformance;
  readonly playground?: PlaygroundAdapter;
  readonly settings?: SettingsSection;
}
