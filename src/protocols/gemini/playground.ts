// The playground's adapter for the Gemini front (protocols/plugin.ts PlaygroundAdapter):
// self-contained functions, serialised into the page.

import type { PlaygroundAdapter } from '../plugin.ts';

export const geminiPlayground: PlaygroundAdapter = {
  label: 'Gemini (/v1beta/models/…:streamGenerateContent)',
  request: (model, prompt) => ({
    path: '/v1beta/models/' + encodeURIComponent(model) + ':streamGenerateContent?alt=sse',
    headers: {},
    body: { contents: [{ role: 'user', parts: [{ text: prompt }] }], generationConfig: { thinkingConfig: { includeThoughts: true } } },
  }),
  read: (_event, data) => {
    const json = JSON.parse(data);
    if (json.error) return { error: json.error.message || data };
    const c = json.candidates && json.candidates[0];
    const out: { text?: string; reasoning?: string; done?: boolean; usage?: { input: number; output: number } } = {};
    const parts = (c && c.content && c.content.parts) || [];
    for (const p of parts) {
      if (typeof p.text === 'string' && p.text !== '') {
        if (p.thought) out.reasoning = (out.reasoning || '') + p.text;
        else out.text = (out.text || '') + p.text;
      } else if (p.functionCall) out.text = (out.text || '') + '\n[tool call ' + p.functionCall.name + '] ' + JSON.stringify(p.functionCall.args);
    }
    const u = json.usageMetadata;
    if (u) out.usage = { input: u.promptTokenCount, output: (u.candidatesTokenCount || 0) + (u.thoughtsTokenCount || 0) };
    if (c && c.finishReason) out.done = true;
    return out;
  },
};
