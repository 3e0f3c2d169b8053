// The Gemini front's stream rules (SPEC §4.5 "Gemini: every chunk a valid GenerateContentResponse,
// the last with finishReason and usageMetadata"), as an executable check for the conformance suite
// (protocols/plugin.ts FrontConformance). It reads the SSE framing (`alt=sse`).

import assert from 'node:assert/strict';
import { parseWire, type FrontAnswer } from '../shared/conformance.ts';
import type { FrontConformance } from '../plugin.ts';

const FINISH_REASONS = new Set(['STOP', 'MAX_TOKENS', 'SAFETY', 'RECITATION', 'OTHER']);

export function checkGeminiStream(output: string, model: string): FrontAnswer {
  const events = parseWire(output);
  assert.ok(events.length > 0, 'at least one chunk');
  const answer: FrontAnswer = { text: '', reasoning: '', tools: [] };
  let responseId: string | undefined;
  events.forEach((ev, i) => {
    const last = i === events.length - 1;
    assert.equal(ev.event, '', 'data-only events (no event: lines)');
    assert.notEqual(ev.data, '[DONE]', 'never [DONE] on the Gemini front');
    const chunk = JSON.parse(ev.data) as Record<string, any>;
    if (chunk.error !== undefined) {
      assert.ok(last, 'an error is the last event');
      assert.equal(typeof chunk.error.code, 'number');
      assert.equal(typeof chunk.error.status, 'string');
      assert.equal(typeof chunk.error.message, 'string');
      answer.error = { type: chunk.error.status, message: chunk.error.message };
      return;
    }
    assert.equal(chunk.modelVersion, model, 'modelVersion is the model the client asked for');
    assert.equal(typeof chunk.responseId, 'string');
    responseId ??= chunk.responseId;
    assert.equal(chunk.responseId, responseId, 'one responseId for the whole stream');
    assert.ok(Array.isArray(chunk.candidates) && chunk.candidates.length === 1, 'one candidate per chunk');
    const c = chunk.candidates[0];
    assert.equal(c.index, 0);
    assert.equal(c.content.role, 'model');
    assert.ok(Array.isArray(c.content.parts) && c.content.parts.length > 0, 'content.parts is a non-empty array');
    for (const part of c.content.parts) {
      if (part.functionCall !== undefined) {
        const fc = part.functionCall;
        assert.equal(typeof fc.name, 'string');
        assert.ok(typeof fc.id === 'string' && fc.id !== '', 'every functionCall has an id');
        assert.ok(typeof fc.args === 'object' && fc.args !== null && !Array.isArray(fc.args), 'functionCall.args is an object');
        answer.tools.push({ id: fc.id, name: fc.name, arguments: JSON.stringify(fc.args) });
      } else {
        assert.equal(typeof part.text, 'string', 'a part is text or a functionCall');
        if (part.thought === true) answer.reasoning += part.text;
        else answer.text += part.text;
      }
    }
    if (last) {
      assert.ok(FINISH_REASONS.has(c.finishReason), `the last chunk has a finishReason (${c.finishReason})`);
      const u = chunk.usageMetadata;
      assert.ok(u !== undefined, 'the last chunk has usageMetadata');
      for (const k of ['promptTokenCount', 'candidatesTokenCount', 'totalTokenCount']) assert.equal(typeof u[k], 'number', `usageMetadata.${k}`);
      answer.finish = c.finishReason;
      answer.usage = u;
    } else {
      assert.equal(c.finishReason, undefined, 'only the last chunk has a finishReason');
    }
  });
  return answer;
}

export const geminiConformance: FrontConformance = {
  check: (output, { model }) => checkGeminiStream(output, model),
};
