// `${VAR}` / `${VAR:-default}` substitution (SPEC §2), applied to every string value after YAML
// parsing, so quoting in the file makes no difference. `$${` writes a literal `${`.
// Keys are never substituted: they are names, and names must be stable to be referenced.

import { type ConfigPath, type ProblemList, formatPath } from './errors.ts';

export type Env = Record<string, string | undefined>;

// `$${` (escape) | `${inner}` | an unclosed `${…` running to the end of the string.
const REFERENCE = /\$\$\{|\$\{([^}]*)(\}?)/g;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Substituted {
  value: unknown;
  /** Formatted paths whose substitution failed; later checks skip them to avoid echo problems. */
  failedPaths: Set<string>;
}

export function substituteEnv(tree: unknown, env: Env, problems: ProblemList): Substituted {
  const failedPaths = new Set<string>();

  const substituteString = (text: string, path: ConfigPath): string => {
    if (!text.includes('${')) return text;
    let failed = false;
    const out = text.replace(REFERENCE, (match: string, inner: string | undefined, close: string | undefined) => {
      if (match === '$${') return '${';
      const parsed = close === '}' ? VARIABLE.exec(inner ?? '') : null;
      if (parsed === null) {
        failed = true;
        problems.add(path, close === '}' ? `malformed variable reference "${match}"` : 'unclosed "${" in value');
        return '';
      }
      const [, name, fallback] = parsed;
      const value = env[name];
      // POSIX `:-`: the default applies when the variable is unset or empty.
      if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
      if (value === undefined) {
        failed = true;
        problems.add(path, `environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
        return '';
      }
      return value;
    });
    if (failed) failedPaths.add(formatPath(path));
    return out;
  };

  const walk = (node: unknown, path: ConfigPath): unknown => {
    if (typeof node === 'string') return substituteString(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      // fromEntries defines own properties, so a `__proto__` key stays data, never a prototype.
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]));
    }
    return node;
  };

  return { value: walk(tree, []), failedPaths };
}
