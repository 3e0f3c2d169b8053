// Parsed YAML tree → Config. Every section is validated on its own so one mistake does not hide
// the next: all problems are collected and thrown together as one ConfigError.

import { z } from 'zod';
import { settingsSections } from '../protocols/index.ts';
import { DEMO_NAME, builtinDemoModel, builtinDemoProvider } from './demo.ts';
import { type Env, substituteEnv } from './env.ts';
import { ConfigError, type ConfigPath, ProblemList } from './errors.ts';
import { parseSection } from './issues.ts';
import { resolveProvider } from './provider.ts';
import { collectSecrets, scrub } from './redact.ts';
import { checkKeyRefs, checkTargetRefs, resolveKey, resolveModel } from './routing.ts';
import {
  authSchema,
  breakerSchema,
  keySchema,
  loggingSchema,
  modelSchema,
  retriesSchema,
  rootSchema,
  serverSchema,
  urlSchema,
} from './schema.ts';
import { pricingSchema, resolvePricing, resolveTelemetry, telemetrySchema } from './spend.ts';
import { resolveBreaker, resolveLogging, resolveRedis, resolveRetries, resolveServer, resolveStore } from './sections.ts';
import type { Config, ModelConfig, ProviderConfig, StaticKeyConfig } from './types.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// `key:` with nothing after it is YAML null; treat it as "not given" so an emptied section
// (`server:` with every line commented out) falls back to defaults instead of failing.
function dropNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropNulls);
  if (!isRecord(node)) return node;
  return Object.fromEntries(Object.entries(node).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]));
}

// Provider and model names become keys of plain objects in Config; this one would set the prototype.
function isReservedName(name: string, path: ConfigPath, problems: ProblemList): boolean {
  if (name !== '__proto__') return false;
  problems.add(path, 'reserved name');
  return true;
}

let rootWithSections: z.ZodType | undefined;

/** The top-level sections: sluice's own plus those protocols declare. */
function rootSchemaWithSections(): z.ZodType {
  rootWithSections ??= rootSchema.extend(Object.fromEntries(settingsSections().map((s) => [s.key, z.unknown().optional()])));
  return rootWithSections;
}

export function buildConfig(tree: unknown, source: string, env: Env): Config {
  const problems = new ProblemList();
  const { value, failedPaths: skip } = substituteEnv(dropNulls(tree), env, problems);
  const root = value ?? {};
  if (!isRecord(root)) throw new ConfigError([`(root): expected a mapping of sections (server, providers, models, …)`]);
  const section = <S extends z.ZodType>(schema: S, key: string): z.output<S> | undefined =>
    parseSection(schema, root[key] ?? {}, [key], problems, skip);

  parseSection(rootSchemaWithSections(), root, [], problems, skip);
  const server = resolveServer(section(serverSchema, 'server'), problems);

  const rawProviders = isRecord(root.providers) ? root.providers : {};
  const providerNames = new Set([...Object.keys(rawProviders), DEMO_NAME]);
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, entry] of Object.entries(rawProviders)) {
    const path: ConfigPath = ['providers', name];
    if (isReservedName(name, path, problems)) continue;
    const provider = resolveProvider(name, entry, path, problems, skip);
    if (provider !== undefined) providers[name] = provider;
  }

  const rawModels = isRecord(root.models) ? root.models : {};
  const models: Record<string, ModelConfig> = {};
  for (const [name, entry] of Object.entries(rawModels)) {
    const path: ConfigPath = ['models', name];
    if (isReservedName(name, path, problems)) continue;
    const raw = parseSection(modelSchema, entry, path, problems, skip);
    if (raw !== undefined) models[name] = resolveModel(name, raw, path, problems);
    checkTargetRefs(entry, providerNames, path, problems);
  }
  // Without any configured model, the demo model is there so the gateway answers something.
  const modelNames = new Set(Object.keys(rawModels).length > 0 ? Object.keys(rawModels) : [DEMO_NAME]);

  const rawAuth = section(authSchema, 'auth');
  const rawKeys = rawAuth?.keys ?? [];
  const keys: StaticKeyConfig[] = [];
  rawKeys.forEach((entry, index) => {
    const raw = parseSection(keySchema, entry, ['auth', 'keys', index], problems, skip);
    if (raw !== undefined) keys.push(resolveKey(raw));
  });
  checkKeyRefs(rawKeys, modelNames, providerNames, problems);

  const retries = resolveRetries(section(retriesSchema, 'retries'), problems);
  const breaker = resolveBreaker(section(breakerSchema, 'breaker'), problems);
  const logging = resolveLogging(section(loggingSchema, 'logging'));
  const store = resolveStore(parseSection(urlSchema, root.store, ['store'], problems, skip), problems);
  // A value whose ${VAR} failed is already a problem; its remains are not checked again.
  const redis = resolveRedis(skip.has('redis') ? undefined : parseSection(urlSchema, root.redis, ['redis'], problems, skip), problems);
  const pricing = resolvePricing(
    parseSection(pricingSchema, root.pricing ?? {}, ['pricing'], problems, skip),
    (schema, value, path) => parseSection(schema, value, path, problems, skip),
    problems,
  );
  const telemetry = resolveTelemetry(section(telemetrySchema, 'telemetry'), problems);

  // Sections owned by protocols (e.g. `responses:`), each validated and resolved by its own declaration.
  const sections: Record<string, unknown> = {};
  for (const owned of settingsSections()) {
    const raw = root[owned.key] === undefined ? undefined : parseSection(owned.schema, root[owned.key], [owned.key], problems, skip);
    sections[owned.key] = owned.resolve(raw);
  }

  if (!problems.empty) {
    const secrets = collectSecrets(root);
    throw new ConfigError(problems.items.map((line) => scrub(line, secrets)));
  }

  // SPEC §1: `demo/anything` works with every config.
  if (!Object.hasOwn(providers, DEMO_NAME)) providers[DEMO_NAME] = builtinDemoProvider();
  if (Object.keys(models).length === 0) models[DEMO_NAME] = builtinDemoModel();

  const auth: Config['auth'] = { keys };
  if (rawAuth?.admin_key) auth.adminKey = rawAuth.admin_key;
  const config: Config = { server, providers, models, retries, breaker, auth, store, logging, pricing, telemetry, sections, source };
  if (redis !== undefined) config.redis = redis;
  return config;
}
