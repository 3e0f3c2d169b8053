// The Responses front's request decoding: items to canonical messages, tools, non-portable input,
// previous_response_id and item_reference through the document store, and 400s that name the field.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import { decodeResponsesRequest } from '../../../src/protocols/openai-responses/decode-request.ts';
import { frontStateOf } from '../../../src/protocols/openai-responses/state.ts';
import { ITEM_KIND, RESPONSE_KIND } from '../../../src/protocols/openai-responses/store.ts';
import { sealEnvelope, responsesSignature } from '../../../src/protocols/openai-responses/signatures.ts';

/** An in-memory DocumentStore with expiry, as FrontServices.documents provides it. */
export function memoryDocuments(now = () => Date.now()) {
  const docs = new Map<string, { value: unknown; until: number }>();
  return {
    docs,
    async get(kind: string, id: string) {
      const d = docs.get(`${kind}/${id}`);
      return d && d.until > now() ? structuredClone(d.value) : undefined;
    },
    async put(kind: string, id: string, value: unknown, ttlMs: number) {
      docs.set(`${kind}/${id}`, { value: structuredClone(value), until: now() + ttlMs });
    },
    async delete(kind: string, id: string) {
      return docs.delete(`${kind}/${id}`);
    },
  };
}

export function services(opts: { store?: boolean; documents?: ReturnType<typeof memoryDocuments>; logs?: string[] } = {}) {
  return {
    modelNames: () => ['m'],
    settings: opts.store ? { store: true, retentionMs: 3_600_000 } : {},
    documents: opts.documents,
    log: (_fields: Record<string, unknown>, message: string) => opts.logs?.push(message),
  };
}

const info = (headers: Record<string, string> = {}) => ({ headers, params: {}, query: new URLSearchParams() });

function decode(body: unknown, svc = services(), headers: Record<string, string> = {}): Promise<ChatRequest> {
  return decodeResponsesRequest(body, info(headers) as never, svc as never);
}

async function rejects(body: unknown, pattern: RegExp, param?: string, svc = services()): Promise<void> {
  await assert.rejects(decode(body, svc), (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 400);
    assert.match(err.message, pattern);
    if (param !== undefined) assert.equal(err.param, param);
    return true;
  });
}

describe('items', () => {
  test('a string input is one user message; instructions become the system message', async () => {
    const req = await decode({ model: 'm', input: 'Hi', instructions: 'Be brief.', stream: true, max_output_tokens: 64 });
    assert.deepEqual(req.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ]);
    assert.equal(req.stream, true);
    assert.equal(req.maxTokens, 64);
    assert.equal(req.front, 'openai-responses');
  });

  test('a tool round trip: one assistant turn from reasoning, message and parallel calls; outputs as tool results', async () => {
    const req = await decode({
      model: 'm',
      input: [
        { role: 'developer', content: 'dev' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'plan' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'get', arguments: '{"city":"Oslo"}' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'get', arguments: { city: 'Bergen' } },
        { type: 'function_call_output', call_id: 'call_a', output: '4C' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '6C' }] },
      ],
    });
    assert.deepEqual(req.messages, [
      { role: 'system', content: [{ type: 'text', text: 'dev' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'plan' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'call_a', name: 'get', arguments: '{"city":"Oslo"}' },
          { type: 'tool-call', id: 'call_b', name: 'get', arguments: '{"city":"Bergen"}' },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_a', name: 'get', content: [{ type: 'text', text: '4C' }] }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_b', name: 'get', content: [{ type: 'text', text: '6C' }] }] },
    ]);
  });

  test('sluice envelopes give back the exact reasoning part and the call-bound signature', async () => {
    const thinking = sealEnvelope({ kind: 'reasoning', part: { type: 'reasoning', text: 'exact  text', signature: 'ANTHROPIC_SIG' } });
    const gemini = sealEnvelope({ kind: 'call-signature', signature: 'GEMINI_SIG' });
    const req = await decode({
      model: 'm',
      input: [
        { role: 'user', content: 'q' },
        { type: 'reasoning', id: 'rs_x', summary: [{ type: 'summary_text', text: 'trimmed' }], encrypted_content: thinking },
        { type: 'reasoning', id: 'rs_y', summary: [], encrypted_content: gemini },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ],
    });
    assert.deepEqual(req.messages[1], {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: 'exact  text', signature: 'ANTHROPIC_SIG' },
        { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}', signature: 'GEMINI_SIG' },
      ],
    });
  });

  test('images and files become canonical parts; file ids and audio make the request non-portable', async () => {
    const req = await decode({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: 'data:image/png;base64,iVBOR', detail: 'high' },
            { type: 'input_image', image_url: 'https://example.com/a.jpg' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages[0]!.content, [
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' }, detail: 'high' },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
      { type: 'document', mediaType: 'application/pdf', data: 'JVBER', filename: 'a.pdf' },
    ]);
    assert.equal(req.nonPortable, undefined);
    const ids = await decode({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] });
    assert.match(ids.nonPortable ?? '', /file ids/);
    const audio = await decode({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] });
    assert.match(audio.nonPortable ?? '', /audio/);
  });

  test('unknown item types are accepted and left out (their outputs with them)', async () => {
    const logs: string[] = [];
    const req = await decode(
      {
        model: 'm',
        input: [
          { role: 'user', content: 'go' },
          { type: 'local_shell_call', id: 'lsh_1', call_id: 'c9', status: 'completed', action: { type: 'exec', command: ['ls'] } },
          { type: 'local_shell_call_output', call_id: 'c9', output: 'a.txt' },
          { type: 'compaction', encrypted_content: 'xyz' },
          { type: 'brand_new_item_2027', payload: 1 },
        ],
      },
      services({ logs }),
    );
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'go' }] }]);
    assert.equal(req.nonPortable, undefined);
    assert.ok(logs.some((l) => /dropped/.test(l)));
  });
});

describe('bad input: 400 naming the field', () => {
  test('a function_call_output with no matching call', async () => {
    await rejects(
      { model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'function_call_output', call_id: 'call_nope', output: 'r' }] },
      /No tool call found for function_call_output with call_id 'call_nope'/,
      'input[1].call_id',
    );
  });
  test('malformed items', async () => {
    await rejects({ model: 'm', input: [{ type: 'function_call', call_id: 'c', arguments: '{}' }] }, /'input\[0\]\.name'/, 'input[0].name');
    await rejects({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, /'input\[0\]\.content\[0\]\.text'/);
    await rejects({ model: 'm', input: [{ role: 'robot', content: 'x' }] }, /'input\[0\]\.role'/);
    await rejects({ model: 'm', input: ['just a string'] }, /'input\[0\]'/);
    await rejects({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://x' }] }] }, /image_url/);
  });
  test('top-level fields', async () => {
    await rejects({ input: 'x' }, /'model'/, 'model');
    await rejects({ model: 'm', input: 'x', max_output_tokens: 0 }, /max_output_tokens/);
    await rejects({ model: 'm', input: 'x', tools: [{ type: 'function' }] }, /'tools\[0\]\.name'/);
    await rejects({ model: 'm' }, /Missing required parameter: 'input'/, 'input');
    await rejects({ model: 'm', input: [] }, /^Invalid 'input': empty array\. Expected a string or an array with at least one item/, 'input');
    await rejects({ model: 'm', input: 'x', background: true }, /background/);
  });
  test('previous_response_id without a store', async () => {
    await rejects({ model: 'm', input: 'x', previous_response_id: 'resp_1' }, /keeps no responses.*responses\.store: true/, 'previous_response_id');
  });
});

describe('tools', () => {
  test('function, custom and namespace tools; tool_choice forms', async () => {
    const req = await decode({
      model: 'm',
      input: 'x',
      tools: [
        { type: 'function', name: 'get', parameters: { type: 'object', properties: {} }, strict: false },
        { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
        { type: 'namespace', name: 'agents', description: 'sub agents', tools: [{ type: 'function', name: 'spawn', parameters: { type: 'object' } }] },
      ],
      tool_choice: { type: 'function', name: 'spawn', namespace: 'agents' },
    });
    assert.deepEqual(req.tools?.map((t) => t.name), ['get', 'apply_patch', 'agents__spawn']);
    const custom = req.tools![1]!;
    assert.deepEqual(custom.parameters.required, ['input']);
    assert.match(JSON.stringify(custom.parameters), /lark grammar/);
    assert.deepEqual(req.toolChoice, { type: 'tool', name: 'agents__spawn' });
    const state = frontStateOf((req as { frontState?: unknown }).frontState)!;
    assert.deepEqual(state.tools.get('apply_patch'), { kind: 'custom', name: 'apply_patch' });
    assert.deepEqual(state.tools.get('agents__spawn'), { kind: 'function', name: 'spawn', namespace: 'agents' });

    const allowed = await decode({
      model: 'm',
      input: 'x',
      tools: [{ type: 'function', name: 'a' }, { type: 'function', name: 'b' }],
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] },
    });
    assert.deepEqual(allowed.tools?.map((t) => t.name), ['b']);
    assert.deepEqual(allowed.toolChoice, { type: 'required' });
  });

  test('custom tool calls and namespaced calls in history map to their canonical names', async () => {
    const req = await decode({
      model: 'm',
      tools: [{ type: 'namespace', name: 'agents', tools: [{ type: 'function', name: 'spawn' }] }],
      input: [
        { role: 'user', content: 'x' },
        { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
        { type: 'custom_tool_call_output', call_id: 'c1', output: 'Done' },
        { type: 'function_call', call_id: 'c2', name: 'spawn', namespace: 'agents', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c2', output: 'ok' },
      ],
    });
    assert.deepEqual(req.messages[1]!.content, [{ type: 'tool-call', id: 'c1', name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}' }]);
    assert.deepEqual(req.messages[3]!.content, [{ type: 'tool-call', id: 'c2', name: 'agents__spawn', arguments: '{}' }]);
  });

  test('built-in tools make the request non-portable, except from Codex (dropped with a log line)', async () => {
    const body = { model: 'm', input: 'x', tools: [{ type: 'function', name: 'f' }, { type: 'web_search', external_web_access: false }, { type: 'code_interpreter', container: { type: 'auto' } }] };
    const plain = await decode(body);
    assert.match(plain.nonPortable ?? '', /built-in tool "web_search", "code_interpreter" is only supported by openai-responses upstreams/);
    const logs: string[] = [];
    const codex = await decode(body, services({ logs }), { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0' });
    assert.equal(codex.nonPortable, undefined);
    assert.deepEqual(codex.tools?.map((t) => t.name), ['f']);
    assert.ok(logs.some((l) => /Codex hosted tools/.test(l)));
  });
});

describe('request fields', () => {
  test('text.format, reasoning, sampling, user and prompt_cache_key', async () => {
    const req = await decode({
      model: 'm',
      input: 'x',
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      reasoning: { effort: 'high', summary: 'auto' },
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      safety_identifier: 'u1',
      prompt_cache_key: 'thread-1',
      include: ['reasoning.encrypted_content'],
      store: false,
    });
    assert.deepEqual(req.responseFormat, { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true });
    assert.deepEqual(req.reasoning, { effort: 'high', include: true });
    assert.equal(req.temperature, 0.5);
    assert.equal(req.topP, 0.9);
    assert.equal(req.parallelToolCalls, false);
    assert.equal(req.user, 'u1');
    assert.equal(req.raw.prompt_cache_key, 'thread-1', 'prompt_cache_key only reaches an upstream of this dialect');
    const state = frontStateOf((req as { frontState?: unknown }).frontState)!;
    assert.equal(state.template.text.verbosity, 'low');
  });
});

describe('stored responses', () => {
  const stored = {
    response: {
      id: 'resp_prev',
      output: [
        { id: 'msg_prev', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Earlier answer', annotations: [] }] },
      ],
    },
    input: [{ role: 'user', content: 'Earlier question' }],
  };

  test('previous_response_id replays the stored turn before the new input', async () => {
    const documents = memoryDocuments();
    await documents.put(RESPONSE_KIND, 'resp_prev', stored, 60_000);
    const req = await decode({ model: 'm', input: 'And now?', previous_response_id: 'resp_prev' }, services({ store: true, documents }));
    assert.deepEqual(req.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Earlier question' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Earlier answer' }] },
      { role: 'user', content: [{ type: 'text', text: 'And now?' }] },
    ]);
    const state = frontStateOf((req as { frontState?: unknown }).frontState)!;
    assert.equal(state.expanded, true);
    assert.equal(state.input.length, 3);
  });

  test('an unknown or expired id is a 400 that says so', async () => {
    let now = 0;
    const documents = memoryDocuments(() => now);
    await documents.put(RESPONSE_KIND, 'resp_prev', stored, 1000);
    now = 2000;
    await rejects({ model: 'm', input: 'x', previous_response_id: 'resp_prev' }, /not found: it is unknown to this sluice or expired \(responses are kept for 1h\)/, 'previous_response_id', services({ store: true, documents }));
  });

  test('with responses.store off the documents are not used', async () => {
    const documents = memoryDocuments();
    await documents.put(RESPONSE_KIND, 'resp_prev', stored, 60_000);
    await rejects({ model: 'm', input: 'x', previous_response_id: 'resp_prev' }, /keeps no responses/, 'previous_response_id', services({ store: false, documents }));
  });

  test('item_reference: resolved from the store, else non-portable', async () => {
    const documents = memoryDocuments();
    await documents.put(ITEM_KIND, 'msg_prev', stored.response.output[0], 60_000);
    const body = { model: 'm', input: [{ role: 'user', content: 'q' }, { type: 'item_reference', id: 'msg_prev' }, { id: 'msg_other' }, { role: 'user', content: 'q2' }] };
    const req = await decode(body, services({ store: true, documents }));
    assert.deepEqual(req.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.match(req.nonPortable ?? '', /item_reference 'msg_other' is not in sluice's store/);
    const state = frontStateOf((req as { frontState?: unknown }).frontState)!;
    assert.deepEqual(state.input[1], stored.response.output[0]);
    assert.deepEqual(state.input[2], { id: 'msg_other' });
    const off = await decode(body);
    assert.match(off.nonPortable ?? '', /cannot be resolved: sluice keeps no responses/);
  });

  test("another client key's response and items are unknown; its own key resolves them", async () => {
    const documents = memoryDocuments();
    await documents.put(RESPONSE_KIND, 'resp_prev', { ...stored, owner: 'team-a' }, 60_000);
    await documents.put(ITEM_KIND, 'msg_prev', { owner: 'team-a', item: stored.response.output[0] }, 60_000);
    const svc = services({ store: true, documents });
    const as = (keyName: string, body: unknown) => decodeResponsesRequest(body, { ...info(), keyName } as never, svc as never);
    await assert.rejects(as('team-b', { model: 'm', input: 'x', previous_response_id: 'resp_prev' }), /Previous response with id 'resp_prev' not found/);
    const refB = await as('team-b', { model: 'm', input: [{ type: 'item_reference', id: 'msg_prev' }, { role: 'user', content: 'q' }] });
    assert.match(refB.nonPortable ?? '', /item_reference 'msg_prev' is not in sluice's store/);
    const prevA = await as('team-a', { model: 'm', input: 'x', previous_response_id: 'resp_prev' });
    assert.equal(prevA.messages.length, 3);
    const refA = await as('team-a', { model: 'm', input: [{ type: 'item_reference', id: 'msg_prev' }, { role: 'user', content: 'q' }] });
    assert.equal(refA.nonPortable, undefined);
    assert.deepEqual(frontStateOf((refA as { frontState?: unknown }).frontState)!.input[0], stored.response.output[0]);
    assert.equal(frontStateOf((refA as { frontState?: unknown }).frontState)!.owner, 'team-a');
  });

  test('OpenAI reasoning keeps its summary text only for other upstreams', async () => {
    const req = await decode({
      model: 'm',
      input: [{ role: 'user', content: 'q' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA' }, { type: 'message', role: 'assistant', content: 'a' }],
    });
    assert.deepEqual(req.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'a' }] });
    assert.ok(responsesSignature('rs_1', 'x').startsWith('oai-responses:'));
  });
});
