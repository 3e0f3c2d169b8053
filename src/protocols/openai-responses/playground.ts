// The playground's adapter for the Responses front (protocols/plugin.ts PlaygroundAdapter):
// self-contained functions, serialised into the page.

import type { PlaygroundAdapter } from '../plugin.ts';

export const responsesPlayground: PlaygroundAdapter = {
  label: 'Responses (/v1/responses)',
  request: (model, prompt) => ({
    path: '/v1/responses',
    headers: {},
    body: { model, stream: true, input: prompt, reasoning: { summary: 'auto' } },
  }),
  read: (event, data) => {
    const json = JSON.parse(data);
    const type = json.type || event;
    if (type === 'error') return { error: (json.error && json.error.message) || json.message || data };
    if (type === 'response.output_text.delta') return { text: json.delta };
    if (type === 'response.reasoning_summary_text.delta') return { reasoning: json.delta };
    if (type === 'response.output_item.added' && json.item && json.item.type === 'function_call') return { text: '\n[tool call ' + json.item.name + '] ' };
    if (type === 'response.function_call_arguments.delta') return { text: json.delta };
    if (type === 'response.failed') return { error: (json.response && json.response.error && json.response.error.message) || data };
    if (type === 'response.completed' || type === 'response.incomplete') {
      const usage = json.response && json.response.usage;
      return usage ? { done: true, usage: { input: usage.input_tokens, output: usage.output_tokens } } : { done: true };
    }
    return {};
  },
};
