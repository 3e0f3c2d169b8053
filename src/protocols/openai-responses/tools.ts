// Responses tools -> canonical tools (docs/protocols/openai-responses.md §1, §5.2; docs/translation.md §3).
//
// - `function` tools are flat here; they map one to one.
// - `custom` (freeform) tools take one raw string. Elsewhere they become a function with one string
//   argument, `input`; the call goes back to the client as a `custom_tool_call` (§5.2 Decision).
// - `namespace` tools (Codex) group functions; each becomes a function named `<namespace>__<name>`,
//   and its calls go back with both `name` and `namespace`.
// - Built-in tools the target runs itself (web_search, file_search, code_interpreter, image_generation,
//   mcp, computer use, shell…) exist only at OpenAI: the request is non-portable (a 400 naming the
//   provider for any other upstream), except from Codex, whose hosted tools are dropped with a log
//   line (§5.2 Decision: otherwise the model calls tools Codex cannot dispatch).

import type { ToolChoice, ToolDef } from '../../core/request.ts';
import type { ToolOrigin } from './state.ts';
import { customToolSchema, functionToolSchema, namespaceToolSchema, type WireToolChoice } from './wire.ts';
import { check } from './validate.ts';

/** Tool parameters when a definition omits them ("omitted = no parameters"). */
const NO_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };
const NAMESPACE_SEPARATOR = '__';

export function canonicalToolName(name: string, namespace: string | undefined, namespaces: ReadonlySet<string>): string {
  return namespace !== undefined && namespace !== '' && namespaces.has(namespace) ? namespace + NAMESPACE_SEPARATOR + name : name;
}

export interface DecodedTools {
  defs: ToolDef[];
  origins: Map<string, ToolOrigin>;
  namespaces: Set<string>;
  /** Types of the built-in tools in the request, in order of first appearance. */
  builtIns: string[];
}

export function decodeTools(tools: ReadonlyArray<Record<string, unknown>>, root: unknown): DecodedTools {
  const out: DecodedTools = { defs: [], origins: new Map(), namespaces: new Set(), builtIns: [] };
  tools.forEach((tool, i) => {
    const at = ['tools', i];
    switch (tool.type) {
      case 'function':
        addFunction(out, check(functionToolSchema, tool, { root, at }), undefined);
        return;
      case 'custom':
        addCustom(out, check(customToolSchema, tool, { root, at }));
        return;
      case 'namespace': {
        const ns = check(namespaceToolSchema, tool, { root, at });
        out.namespaces.add(ns.name);
        ns.tools.forEach((inner, j) => {
          const innerAt = [...at, 'tools', j];
          if (inner.type === 'function') addFunction(out, check(functionToolSchema, inner, { root, at: innerAt }), ns.name);
          else if (inner.type === 'custom') addCustom(out, check(customToolSchema, inner, { root, at: innerAt }));
          else if (!out.builtIns.includes(inner.type)) out.builtIns.push(inner.type);
        });
        return;
      }
      default:
        if (!out.builtIns.includes(String(tool.type))) out.builtIns.push(String(tool.type));
    }
  });
  return out;
}

function addFunction(out: DecodedTools, t: ReturnType<typeof functionToolSchema.parse>, namespace: string | undefined): void {
  const name = namespace === undefined ? t.name : namespace + NAMESPACE_SEPARATOR + t.name;
  const def: ToolDef = { name, parameters: t.parameters ?? NO_PARAMETERS };
  const description = t.description ?? undefined;
  if (description !== undefined) def.description = description;
  if (t.strict != null) def.strict = t.strict;
  out.defs.push(def);
  out.origins.set(name, namespace === undefined ? { kind: 'function', name: t.name } : { kind: 'function', name: t.name, namespace });
}

/**
 * A custom tool as a function with one string argument. A grammar or regex format is part of what the
 * model must follow, so it goes into the argument's description.
 */
function addCustom(out: DecodedTools, t: ReturnType<typeof customToolSchema.parse>): void {
  let inputDescription = 'The raw input of the tool.';
  const format = t.format as { type?: unknown; syntax?: unknown; definition?: unknown } | undefined;
  if (format && format.type === 'grammar' && typeof format.definition === 'string') {
    inputDescription += ` It must follow this ${typeof format.syntax === 'string' ? format.syntax : ''} grammar:\n${format.definition}`;
  }
  const def: ToolDef = {
    name: t.name,
    parameters: {
      type: 'object',
      properties: { input: { type: 'string', description: inputDescription } },
      required: ['input'],
      additionalProperties: false,
    },
  };
  const description = t.description ?? undefined;
  if (description !== undefined) def.description = description;
  out.defs.push(def);
  out.origins.set(t.name, { kind: 'custom', name: t.name });
}

/** Canonical tool choice and tool subset; `hosted` names a built-in tool the client forces. */
export function decodeToolChoice(
  choice: WireToolChoice | null | undefined,
  tools: DecodedTools,
): { toolChoice?: ToolChoice; defs: ToolDef[]; hosted?: string } {
  if (choice == null) return { defs: tools.defs };
  if (typeof choice === 'string') return { toolChoice: { type: choice }, defs: tools.defs };
  switch (choice.type) {
    case 'function':
    case 'custom': {
      const name = String(choice.name);
      const namespace = typeof choice.namespace === 'string' ? choice.namespace : undefined;
      return { toolChoice: { type: 'tool', name: canonicalToolName(name, namespace, tools.namespaces) }, defs: tools.defs };
    }
    case 'allowed_tools': {
      // The allowed subset becomes the tool list (docs/translation.md §3).
      const allowed = choice.tools as Array<{ type: string; name?: string | null; namespace?: unknown }>;
      const names = new Set(
        allowed.flatMap((t) => (typeof t.name === 'string' ? [canonicalToolName(t.name, typeof t.namespace === 'string' ? t.namespace : undefined, tools.namespaces)] : [])),
      );
      const hosted = allowed.find((t) => t.type !== 'function' && t.type !== 'custom')?.type;
      return {
        toolChoice: { type: choice.mode === 'required' ? 'required' : 'auto' },
        defs: tools.defs.filter((d) => names.has(d.name)),
        ...(hosted !== undefined && { hosted }),
      };
    }
    default:
      return { toolChoice: { type: 'auto' }, defs: tools.defs, hosted: String(choice.type) };
  }
}
