// `sluice doctor URL [--model M] [--key K] [--protocol P] [--json] [--timeout MS]`
// (SPEC §7). Exit 0 healthy, 1 problem found, 2 could not test. The key is sent, never printed.

import { parseArgs, UsageError } from './args.ts';
import { exitCodeOf, formatReport, runDiagnosis, TargetError } from '../doctor/index.ts';
import { doctorProtocols } from '../protocols/index.ts';

const PROTOCOLS = doctorProtocols();

const HELP = `Usage: sluice doctor URL [--model M] [--key K] [--protocol ${PROTOCOLS.join('|')}] [--json] [--timeout MS]

Diagnoses streaming end to end through every hop between you and the gateway at URL (the gateway
itself, or nginx / Caddy / a load balancer / a CDN in front of it; a trailing /v1 is accepted).
It sends real streaming requests (and /debug/stream when URL leads to a sluice) and reports, per
check, what it measured and, for each problem, the likely culprit and the fix: SSE headers,
compression, time to first byte, events spread out as sent or held back in bursts (buffering),
keepalive versus proxy idle timeouts, [DONE] / message_stop, one id, the role chunk, errors.

  --model M        model for the chat request (default: demo if listed, else the first of /v1/models)
  --key K          client key, sent where that dialect's clients send it; never printed
  --protocol P     the client dialect to test: ${PROTOCOLS.join(', ')} (default openai)
  --json           print the report as JSON
  --timeout MS     limit for each request (default 30000); the keepalive probe needs more than the
                   gateway's keepalive interval

Exit status: 0 healthy (warnings allowed), 1 problem found, 2 could not test.`;

export async function runDoctor(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { values: ['model', 'key', 'protocol', 'timeout'], booleans: ['json'] });
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing URL' : `expected one URL, got ${positionals.length} arguments`);
  const protocol = typeof flags.protocol === 'string' ? flags.protocol : 'openai';
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}, got "${protocol}"`);
  let timeoutMs: number | undefined;
  if (typeof flags.timeout === 'string') {
    timeoutMs = Number(flags.timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of ms, got "${flags.timeout}"`);
  }
  const json = flags.json === true;
  try {
    const report = await runDiagnosis({
      url: positionals[0]!,
      model: typeof flags.model === 'string' ? flags.model : undefined,
      key: typeof flags.key === 'string' ? flags.key : undefined,
      protocol,
      timeoutMs,
      log: json ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return exitCodeOf(report);
  } catch (err) {
    if (err instanceof TargetError) throw new UsageError(err.message);
    throw err;
  }
}
