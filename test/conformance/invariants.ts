// SPEC §4.5 as executable checks: each front declares its own (protocols/<name>/conformance.ts);
// these names are kept for the tests that check a particular front's wire.

export { parseWire, type FrontAnswer, type WireEvent } from '../../src/protocols/shared/conformance.ts';
export { checkOpenAIStream } from '../../src/protocols/openai/conformance.ts';
export { checkAnthropicStream } from '../../src/protocols/anthropic/conformance.ts';
