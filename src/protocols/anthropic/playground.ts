// The playground's adapter for the Anthropic Messages front (protocols/plugin.ts PlaygroundAdapter):
// self-contained functions, serialised into the page.

import type { PlaygroundAdapter } from '../plugin.ts';

export const anthropicPlayground: PlaygroundAdapter = {
  label: 'Anthropic Messages (/v1/messages)',
  request: (model, prompt) => ({
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: { model, max_tokens: 1024, stream: true, messages: [{ role: 'user', content: prompt }] },
  }),
  read: (event, data) => {
    const json = JSON.parse(data);
    const type = json.type || event;
    if (type === 'error') return { error: (json.error && json.error.message) || data };
    if (type === 'message_stop') return { done: true };
    if (type === 'message_start' && json.message && json.message.usage) return { usage: { input: json.message.usage.input_tokens, output: 0 } };
    if (type === 'message_delta' && json.usage) return { usage: { input: json.usage.input_tokens ?? -1, output: json.usage.output_tokens } };
    if (type === 'content_block_start' && json.content_block && json.content_block.type === 'tool_use') return { text: '\n[tool call ' + json.content_block.name + '] ' };
    if (type !== 'content_block_delta' || !json.delta) return {};
    if (json.delta.type === 'text_delta') return { text: json.delta.text };
    if (json.delta.type === 'thinking_delta') return { reasoning: json.delta.thinking };
    if (json.delta.type === 'input_json_delta') return { text: json.delta.partial_json };
    return {};
  },
};
