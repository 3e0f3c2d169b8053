// A small Dockerfile reader for static checks (no Docker engine in CI): instructions with their
// line continuations joined, comments and parser directives dropped, ARG defaults substituted into
// FROM, and stages split at each FROM.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { stages: Stage[]; args: Record<string, string> } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    // A trailing backslash continues the instruction; comment lines inside it are skipped.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i]!)) continue;
      line = line.replace(/\\\s*$/, ' ') + lines[i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${first + 1}: cannot parse "${line}"`);
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: first + 1 });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=');
      args[name!] = value ?? '';
    } else if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      const from = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => args[(a ?? b)!] ?? '');
      stages.push({ from, name: m[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { stages, args };
}

/** The exec-form JSON array of CMD/ENTRYPOINT/HEALTHCHECK CMD, or the shell form wrapped as sh -c. */
export function execForm(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return ['/bin/sh', '-c', trimmed];
}

/** COPY/ADD sources (not --from=stage copies): every word but the last, options removed. */
export function copySources(ins: Instruction): { sources: string[]; dest: string; fromStage?: string } {
  const words = ins.args.split(/\s+/);
  let fromStage: string | undefined;
  const rest: string[] = [];
  for (const w of words) {
    const m = /^--from=(.+)$/.exec(w);
    if (m) fromStage = m[1];
    else if (!w.startsWith('--')) rest.push(w);
  }
  return { sources: rest.slice(0, -1), dest: rest[rest.length - 1]!, fromStage };
}
