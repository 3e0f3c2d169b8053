// Usage is always recorded (SPEC §4.4). When an upstream reports none, sluice estimates it at about
// four characters a token and marks it estimated, so bills and limits never see a silent zero.

import type { ChatRequest } from '../core/request.ts';
import type { StreamEvent, Usage } from '../core/events.ts';

export function estimateUsage(req: ChatRequest, outputChars: number | undefined): Usage {
  let inputChars = 0;
  for (const m of req.messages) {
    for (const p of m.content) {
      if (p.type === 'text') inputChars += p.text.length;
      else if (p.type === 'tool-call') inputChars += p.arguments.length + p.name.length;
      else if (p.type === 'reasoning') inputChars += p.text.length;
      else if (p.type === 'tool-result') {
        for (const c of p.content) if (c.type === 'text') inputChars += c.text.length;
      }
    }
  }
  return {
    inputTokens: Math.ceil(inputChars / 4),
    outputTokens: Math.ceil((outputChars ?? 0) / 4),
    estimated: true,
  };
}

/**
 * A stage after the normalizer: when the stream reaches 'done' and the upstream never reported
 * usage, it adds an estimated usage event first, so clients that asked for usage get it and the
 * request is still accounted (SPEC §4.4).
 */
export function withUsageEstimate(req: ChatRequest, next: (ev: StreamEvent) => void): (ev: StreamEvent) => void {
  let reported = false;
  let outputChars = 0;
  return (ev) => {
    switch (ev.type) {
      case 'usage':
        reported = true;
        break;
      case 'text-delta':
      case 'reasoning-delta':
        outputChars += ev.text.length;
        break;
      case 'tool-args-delta':
        outputChars += ev.json.length;
        break;
      case 'done':
        if (!reported) next({ type: 'usage', usage: estimateUsage(req, outputChars) });
        break;
    }
    next(ev);
  };
}
