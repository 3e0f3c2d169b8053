import { stepCountIs, streamText, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';
import { startResponsesEnv } from '../test/e2e/responses-env.ts';
const env = await startResponsesEnv('');
try {
  const openai = createOpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x' });
  const errors: unknown[] = [];
  const r = streamText({ model: openai('m-an'), prompt: 'Weather? [[mock tool=1 chunks=2 reasoning=2]]', maxRetries: 0, onError: ({ error }) => void errors.push(error),
    tools: { get_forecast: tool({ inputSchema: z.object({ city: z.string() }).passthrough(), execute: async () => ({ high: 21 }) }) }, stopWhen: stepCountIs(3) });
  console.log(JSON.stringify(await r.text), (await r.steps).length, errors.map((e) => String((e as Error).message)));
  for (const q of env.mock.requests) console.log(JSON.stringify(q.body).slice(0, 300));
} finally { await env.close(); }
