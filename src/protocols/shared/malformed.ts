// What an upstream event that cannot be decoded becomes: `upstream_malformed`, with the start of the
// offending text (never the whole of a multi-megabyte event) so the log and the client see what came.

import { GatewayError } from '../../core/errors.ts';

/** Characters of the offending text quoted in the message. */
const PREVIEW = 200;

/** `text`, cut at `max` characters with an ellipsis. */
export function preview(text: string, max = PREVIEW): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The error for an event `provider` sent that is not what its dialect allows. */
export function malformedEvent(provider: string, text: string): GatewayError {
  return new GatewayError('upstream_malformed', `${provider} sent a malformed event: ${preview(text)}`);
}
