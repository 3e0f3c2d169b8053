// Config problems are collected, never thrown one at a time: `sluice check` must show every
// problem with its path (SPEC §1), e.g. `models.fast.targets[1].provider: unknown provider "opnai"`.

export type ConfigPath = ReadonlyArray<string | number>;

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid config (${count}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// Keys made of these characters read naturally after a dot (`providers.azure-claude`); anything
// else (`models["gpt-4.1"]`, a key with a slash or space) is bracketed so the path stays unambiguous.
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `['models', 'fast', 'targets', 1, 'provider']` → `models.fast.targets[1].provider`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Accumulates `path: message` lines in the order they were found. */
export class ProblemList {
  readonly items: string[] = [];

  add(path: ConfigPath, message: string): void {
    this.items.push(`${formatPath(path)}: ${message}`);
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}
