// Tool-call arguments in a request's history, for dialects that carry them as a JSON object
// (Anthropic `tool_use.input`, Bedrock `toolUse.input`): translation.md §4 Decision — arguments that
// are not a JSON object are the client's error (400); "" and "null" mean no arguments.

import { GatewayError } from '../../core/errors.ts';

/** The arguments as a JSON object, or GatewayError 400. */
export function parseToolArguments(args: string, name: string): Record<string, unknown> {
  const text = args.trim();
  if (text === '' || text === 'null') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', `invalid tool_call arguments for ${name}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('invalid_request', `invalid tool_call arguments for ${name}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The same check for dialects that carry the arguments as JSON text (Cohere): the text, "{}" for none. */
export function toolArgumentsJson(args: string, name: string): string {
  const text = args.trim();
  if (text === '' || text === 'null') return '{}';
  parseToolArguments(text, name);
  return text;
}
