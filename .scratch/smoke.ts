import OpenAI from 'openai';
import { startResponsesEnv, ALL } from '/work/wt-responses/test/e2e/responses-env.ts';
const env = await startResponsesEnv();
const client = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10000 });
try {
  for (const model of ALL) {
    try {
      const stream = client.responses.stream({ model, input: 'Hi [[mock chunks=5 reasoning=2]]', reasoning: { summary: 'auto' } });
      let n = 0; for await (const _ of stream) n++;
      const final = await stream.finalResponse();
      const r = await client.responses.create({ model, input: 'Hi [[mock chunks=5]]' });
      console.log(model, n, JSON.stringify(final.output_text), final.usage?.input_tokens, final.usage?.output_tokens, '| create:', JSON.stringify(r.output_text));
    } catch (e) { console.log(model, 'ERR', (e as Error).message); }
  }
} finally { await env.close(); }
