// Q-40 (docs/quirks.md): a thought signature is valid only where Google issued it. A Gemini CLI-style
// tool loop whose first turn the Gemini API answered and whose next turn goes to Vertex (the model
// map changed, or a fallback target took over) carries the Gemini API's signature to Vertex, which
// refuses the whole request. sluice drops the foreign signatures and sends the request again; the
// client gets its answer. `sluice mock` plays both sides, each refusing the other's signatures.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, type Content } from '@google/genai';
import OpenAI from 'openai';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { GEMINI_API_SIGNATURE, VERTEX_SIGNATURE } from '../../src/protocols/gemini/mock.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const TOOLS = [{ functionDeclarations: [{ name: 'get_forecast', description: 'Weather forecast', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] }];

let mock: MockServer;
let sluice: SluiceProcess;
let genai: GoogleGenAI;

before(async () => {
  mock = await startMock();
  sluice = await startSluice({
    config: `
providers:
  ai-studio: { type: gemini, base_url: "${mock.url}", api_key: k }
  vx: { type: vertex, base_url: "${mock.url}", api_key: k }
models:
  on-gemini: { targets: [{ provider: ai-studio, model: gemini-3-pro }] }
  on-vertex: { targets: [{ provider: vx, model: gemini-3-pro }] }
  both: { strategy: fallback, targets: [{ provider: vx, model: gemini-3-pro }, { provider: ai-studio, model: gemini-3-pro }] }
retries: { attempts: 1, backoff: 1ms }
`,
  });
  genai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: sluice.url, apiVersion: 'v1beta', timeout: 10_000 } });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

/** Turn 1 on `model`: a thinking answer with a signed tool call; returns the history for turn 2. */
async function firstTurn(model: string, tag: string): Promise<Content[]> {
  const user: Content = { role: 'user', parts: [{ text: `${tag} [[mock tool=get_forecast reasoning=2]]` }] };
  const res = await genai.models.generateContent({ model, contents: [user], config: { tools: TOOLS } });
  const model1 = res.candidates?.[0]?.content;
  assert.ok(model1?.parts?.some((p) => p.functionCall), 'a function call');
  const call = model1!.parts!.find((p) => p.functionCall)!;
  return [
    user,
    model1!,
    { role: 'user', parts: [{ functionResponse: { id: call.functionCall!.id, name: 'get_forecast', response: { forecast: 'sun' } } }] },
  ];
}

function signaturesSent(tag: string): unknown[] {
  const records = mock.requests.filter((r) => JSON.stringify(r.body).includes(tag));
  return records.map((r) => {
    const contents = (r.body as { contents?: Array<{ parts?: Array<{ thoughtSignature?: string }> }> }).contents ?? [];
    return contents.flatMap((c) => c.parts ?? []).map((p) => p.thoughtSignature).filter((s) => s !== undefined);
  });
}

test('the mocks refuse each other’s signatures, as Google does (checked directly)', async () => {
  const body = (sig: string) => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: sig }] }, { role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] });
  const vertex = await fetch(`${mock.url}/v1/publishers/google/models/gemini-3-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' }, body: body(GEMINI_API_SIGNATURE) });
  assert.equal(vertex.status, 400);
  assert.match(await vertex.text(), /Thought signature is not valid/);
  const studio = await fetch(`${mock.url}/v1beta/models/gemini-3-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' }, body: body(VERTEX_SIGNATURE) });
  assert.equal(studio.status, 400);
  assert.match(await studio.text(), /Corrupted thought signature/);
  const own = await fetch(`${mock.url}/v1/publishers/google/models/gemini-3-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' }, body: body(VERTEX_SIGNATURE) });
  assert.equal(own.status, 200);
});

test('a tool loop that moves from the Gemini API to Vertex gets its answer: the foreign signature is dropped and the request sent again', async () => {
  const tag = `sig-move-${Date.now()}`;
  const history = await firstTurn('on-gemini', tag);
  const signed = history[1]!.parts!.find((p) => p.functionCall)!;
  assert.equal(signed.thoughtSignature, GEMINI_API_SIGNATURE, 'turn 1 carries the Gemini API’s signature');
  const res = await genai.models.generateContent({ model: 'on-vertex', contents: history, config: { tools: TOOLS } });
  assert.ok((res.text ?? '').length > 0, 'turn 2 answered by Vertex');
  // Sent twice to Vertex: with the signature (refused), then with Google's placeholder.
  const sent = signaturesSent(tag).slice(1);
  assert.deepEqual(sent, [[GEMINI_API_SIGNATURE], ['skip_thought_signature_validator']]);
});

test('streaming, and the other way round (Vertex’s signature to the Gemini API)', async () => {
  const tag = `sig-back-${Date.now()}`;
  const history = await firstTurn('on-vertex', tag);
  assert.equal(history[1]!.parts!.find((p) => p.functionCall)!.thoughtSignature, VERTEX_SIGNATURE);
  let text = '';
  for await (const chunk of await genai.models.generateContentStream({ model: 'on-gemini', contents: history, config: { tools: TOOLS } })) text += chunk.text ?? '';
  assert.ok(text.length > 0);
});

test('a signature Vertex issued itself goes to Vertex unchanged (one request, nothing dropped)', async () => {
  const tag = `sig-own-${Date.now()}`;
  const history = await firstTurn('on-vertex', tag);
  const res = await genai.models.generateContent({ model: 'both', contents: history, config: { tools: TOOLS } });
  assert.ok((res.text ?? '').length > 0);
  assert.deepEqual(signaturesSent(tag).slice(1), [[VERTEX_SIGNATURE]]);
});

test('an OpenAI chat client (signature in extra_content) moving from the Gemini API to Vertex, streaming', async () => {
  const openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  const tag = `sig-oa-${Date.now()}`;
  const tools = [{ type: 'function' as const, function: { name: 'get_forecast', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const user = { role: 'user' as const, content: `${tag} [[mock tool=get_forecast reasoning=2]]` };
  const first = await openai.chat.completions.create({ model: 'on-gemini', messages: [user], tools });
  const assistant = first.choices[0]!.message;
  const call = assistant.tool_calls![0]! as { id: string; extra_content?: { google?: { thought_signature?: string } } };
  assert.equal(call.extra_content?.google?.thought_signature, GEMINI_API_SIGNATURE);
  const stream = await openai.chat.completions.create({
    model: 'on-vertex',
    stream: true,
    tools,
    messages: [user, assistant, { role: 'tool', tool_call_id: call.id, content: '{"forecast":"sun"}' }],
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.ok(text.length > 0);
  assert.deepEqual(signaturesSent(tag).slice(1), [[GEMINI_API_SIGNATURE], ['skip_thought_signature_validator']]);
});
