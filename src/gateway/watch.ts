// Time limits of one upstream attempt (SPEC §4.4): first_byte until the first upstream *event*,
// then idle between events, and total for the whole attempt. Comments and pings from the upstream
// produce no canonical event, so they never reset these clocks. Response headers are not an
// event: a model that answers with its headers at once and then thinks for a minute before its
// first token is within first_byte (a long-thinking model, SPEC §4.4), and an upstream that answers
// and then sends only keepalives is cut off at first_byte, never later. One timer,
// re-armed lazily: touch() on the per-event path only stores a timestamp (the turn's: gateway/clock.ts),
// nearly always the first event's too (start()). While the gateway itself
// stops reading the upstream (a slow client, pause()), only the total limit runs.

import { GatewayError, type ErrorCode } from '../core/errors.ts';
import { systemClock, type Clock } from './clock.ts';

export class EventWatch {
  private readonly firstByteMs: number;
  private readonly idleMs: number;
  private readonly deadline: number;
  private readonly onExpire: (err: GatewayError) => void;
  private readonly startedAt: number;
  private lastEvent = -1;
  /** When the upstream's response headers arrived (-1: not yet). */
  private respondedAt = -1;
  private readonly clock: Clock;
  private timer: unknown;
  /** When `timer` is due (clock time). */
  private dueAt = 0;
  private stopped = false;
  private paused = false;

  constructor(
    limits: { firstByteMs: number; idleMs: number; totalMs: number },
    onExpire: (err: GatewayError) => void,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
    this.firstByteMs = limits.firstByteMs;
    this.idleMs = limits.idleMs;
    this.onExpire = onExpire;
    this.startedAt = clock.now();
    this.deadline = this.startedAt + limits.totalMs;
    this.start();
  }

  /** Milliseconds from the start to the first event, or -1. */
  get firstEventMs(): number {
    return this.lastEvent < 0 ? -1 : this.firstEventAt - this.startedAt;
  }

  private firstEventAt = 0;

  touch(): void {
    const now = this.clock.now();
    if (this.lastEvent < 0) {
      this.firstEventAt = now;
      this.lastEvent = now;
      // The first event. The timer set at the start is due within one idle limit of it (the common
      // case: see start()), so it stays, and re-arms when it fires; one due later moves to the idle
      // limit (once per attempt).
      if (this.timer !== undefined && this.dueAt > now + this.idleMs) {
        this.clock.clearTimer(this.timer);
        this.schedule();
      }
      return;
    }
    this.lastEvent = now;
  }

  /** The upstream answered (response headers): no clock changes (they are not an event), the first_byte message says so. */
  responded(): void {
    if (this.respondedAt >= 0 || this.stopped) return;
    this.respondedAt = this.clock.now();
  }

  /** The upstream is not being read (the client is not keeping up): its silence is not its fault. */
  pause(): void {
    this.paused = true;
  }

  /** Reading again: the idle clock restarts now. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    if (this.lastEvent >= 0) this.lastEvent = this.clock.now();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /**
   * The first timer: due at the first_byte limit or one idle limit from the start, whichever comes
   * first. An upstream's first event nearly always arrives within the idle limit, and then the
   * timer is due before that event's idle limit ends: touch() leaves it, which saves a clear and a
   * set per attempt. When it fires with events seen it re-arms for the idle limit; without, for
   * first_byte.
   */
  private start(): void {
    this.arm(Math.min(this.startedAt + Math.min(this.firstByteMs, this.idleMs), this.deadline));
  }

  private schedule(): void {
    if (this.stopped) return;
    const phaseEnd = this.paused ? Infinity : this.lastEvent >= 0 ? this.lastEvent + this.idleMs : this.startedAt + this.firstByteMs;
    this.arm(Math.min(phaseEnd, this.deadline));
  }

  private arm(at: number): void {
    this.dueAt = at;
    this.timer = this.clock.setTimer(this.check, Math.max(1, at - this.clock.now()));
  }

  private check = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    let code: ErrorCode | undefined;
    let message = '';
    if (now >= this.deadline) {
      code = 'total_timeout';
      message = `upstream exceeded the total time limit of ${fmt(this.deadline - this.startedAt)}`;
    } else if (this.paused) {
      // Not reading: no idle or first-byte verdict until resume().
    } else if (this.lastEvent < 0 && now >= this.startedAt + this.firstByteMs) {
      code = 'first_byte_timeout';
      message = `upstream sent no event within the first_byte limit of ${fmt(this.firstByteMs)}${this.respondedAt >= 0 ? ' (it answered; comments and pings do not count)' : ''}`;
    } else if (this.lastEvent >= 0 && now >= this.lastEvent + this.idleMs) {
      code = 'idle_timeout';
      message = `upstream sent no event for ${fmt(this.idleMs)} (idle limit)`;
    }
    if (code) {
      this.stopped = true;
      this.onExpire(new GatewayError(code, message));
    } else {
      this.schedule();
    }
  };
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${Math.round(ms)}ms`;
}
