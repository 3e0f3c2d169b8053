// The playground's adapter for the Chat Completions front (protocols/plugin.ts PlaygroundAdapter):
// self-contained functions, serialised into the page.

import type { PlaygroundAdapter } from '../plugin.ts';

export const openaiPlayground: PlaygroundAdapter = {
  label: 'Chat Completions (/v1/chat/completions)',
  request: (model, prompt) => ({
    path: '/v1/chat/completions',
    headers: {},
    body: { model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] },
  }),
  read: (_event, data) => {
    if (data === '[DONE]') return { done: true };
    const json = JSON.parse(data);
    if (json.error) return { error: json.error.message || data };
    const out: { text?: string; reasoning?: string; usage?: { input: number; output: number } } = {};
    if (json.usage) out.usage = { input: json.usage.prompt_tokens, output: json.usage.completion_tokens };
    const delta = json.choices && json.choices[0] && json.choices[0].delta;
    if (!delta) return out;
    const thinking = delta.reasoning_content || delta.reasoning;
    if (thinking) out.reasoning = thinking;
    let text = delta.content || '';
    for (const call of delta.tool_calls || []) {
      const fn = call.function || {};
      if (fn.name) text += '\n[tool call ' + fn.name + '] ';
      if (fn.arguments) text += fn.arguments;
    }
    if (text) out.text = text;
    return out;
  },
};
