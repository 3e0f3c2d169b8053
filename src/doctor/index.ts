// `sluice doctor` (SPEC §7): diagnose streaming end to end through every hop to URL. The checks run
// in order — reachability, sluice detection and the debug-stream timing test, a real chat stream, an
// error request — while the keepalive probe, the slowest check, runs alongside on its own connection
// from the moment the debug stream's headers identify a sluice.

import { checkChatStream } from './checks/chat-stream.ts';
import { checkDebugStream } from './checks/debug-stream.ts';
import { checkErrorHandling } from './checks/errors.ts';
import { checkKeepalive } from './checks/keepalive.ts';
import { checkReachability } from './checks/reachability.ts';
import { describeHops } from './hops.ts';
import { redactKey } from './report.ts';
import { createSession } from './session.ts';
import { createTarget } from './target.ts';
import type { Check, DoctorOptions, DoctorReport } from './types.ts';

export type { Check, CheckStatus, DoctorOptions, DoctorReport } from './types.ts';
export { exitCodeOf, formatReport } from './report.ts';
export { normaliseBaseUrl, TargetError } from './target.ts';

export async function runDiagnosis(opts: DoctorOptions): Promise<DoctorReport> {
  const target = createTarget(opts);
  const s = createSession(target);
  const checks: Check[] = [];
  const finish = (): DoctorReport =>
    redactKey(
      {
        url: target.base,
        ok: !s.couldNotTest && !checks.some((c) => c.status === 'fail'),
        couldNotTest: s.couldNotTest,
        checks,
      },
      opts.key,
    );

  target.log(`checking ${target.base} (${target.protocol})…`);
  const reach = await checkReachability(s);
  checks.push(reach.check);
  if (!reach.reachable) {
    s.couldNotTest = true;
    return finish();
  }
  let keepalive: Promise<Check> | undefined;
  const startKeepalive = (): Promise<Check> =>
    // Settles to a check whatever happens, so it never becomes an unhandled rejection while other checks run.
    checkKeepalive(s).catch((err: unknown) => ({ name: 'keepalive', status: 'warn', detail: `idle probe failed: ${(err as Error)?.message}` }));
  try {
    checks.push(...(await checkDebugStream(s, () => (keepalive = startKeepalive()))));
    // Not started yet when the ticker was recognised by its events only, or not a sluice (then it skips).
    keepalive ??= startKeepalive();
    checks.push(...(await checkChatStream(s, opts.model)));
    // The gateway refused the key: every later request would be refused the same way.
    if (!s.couldNotTest) checks.push(...(await checkErrorHandling(s)));
  } catch (err) {
    s.abandon.abort();
    throw err;
  }
  if (s.couldNotTest) s.abandon.abort();
  checks.push(await keepalive);
  const hops = describeHops(s.hops);
  if (hops) checks[0] = { ...checks[0]!, data: { ...checks[0]!.data, hops } };
  return finish();
}
