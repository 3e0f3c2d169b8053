// The playground's adapter for the Cohere v2 chat front (protocols/plugin.ts PlaygroundAdapter):
// self-contained functions, serialised into the page.

import type { PlaygroundAdapter } from '../plugin.ts';

export const coherePlayground: PlaygroundAdapter = {
  label: 'Cohere v2 chat (/v2/chat)',
  request: (model, prompt) => ({
    path: '/v2/chat',
    headers: {},
    body: { model, stream: true, messages: [{ role: 'user', content: prompt }] },
  }),
  read: (_event, data) => {
    const json = JSON.parse(data);
    const message = json.delta && json.delta.message;
    switch (json.type) {
      case 'content-delta': {
        const c = (message && message.content) || {};
        return c.thinking ? { reasoning: c.thinking } : { text: c.text || '' };
      }
      case 'tool-plan-delta':
        return { text: (message && message.tool_plan) || '' };
      case 'tool-call-start': {
        const fn = (message && message.tool_calls && message.tool_calls.function) || {};
        return { text: '\n[tool call ' + fn.name + '] ' + (fn.arguments || '') };
      }
      case 'tool-call-delta': {
        const fn = (message && message.tool_calls && message.tool_calls.function) || {};
        return { text: fn.arguments || '' };
      }
      case 'message-end': {
        const d = json.delta || {};
        if (d.error) return { error: d.error };
        const t = d.usage && d.usage.tokens;
        return t ? { done: true, usage: { input: t.input_tokens, output: t.output_tokens } } : { done: true };
      }
      default:
        return json.message && !json.type ? { error: json.message } : {};
    }
  },
};
