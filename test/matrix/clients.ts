// One driver per front: the official SDK of the front's dialect, used as its users use it, for one
// text turn and one tool round trip (turn 1 asks for a call, turn 2 sends its result back), streaming
// or not. Each returns what the SDK handed the user, so a cell can compare it with what the mock said.
// SDKs that a front's own helper installs are imported by name at run time: a front that is not
// registered yet never loads its SDK.

import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { CohereClientV2, type Cohere } from 'cohere-ai';

export interface ToolCallSeen {
  id: string;
  name: string;
  args: unknown;
}

export interface ToolRoundTrip {
  call: ToolCallSeen;
  /** The text of the answer to the tool result. */
  final: string;
}

export interface FrontDriver {
  /** The front's name in the registry. */
  front: string;
  /** Row label in the grid. */
  label: string;
  sdk: string;
  text(base: string, model: string, stream: boolean, prompt: string): Promise<string>;
  toolRoundTrip(base: string, model: string, stream: boolean, prompt: string): Promise<ToolRoundTrip>;
}

export const TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as Record<string, unknown>,
};

export const TOOL_RESULT = '{"temp_c":3,"sky":"rain"}';
const KEY = 'sk-matrix';

// ---------------------------------------------------------------------------------------------------
// OpenAI chat completions

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

async function chatTurn(
  client: OpenAI,
  model: string,
  stream: boolean,
  messages: ChatMessage[],
  tools?: OpenAI.Chat.ChatCompletionTool[],
): Promise<OpenAI.Chat.ChatCompletionMessage> {
  if (!stream) return (await client.chat.completions.create({ model, messages, ...(tools ? { tools } : {}) })).choices[0]!.message;
  // The SDK's own accumulator: what a streaming user of the SDK ends up with.
  const runner = client.chat.completions.stream({ model, messages, ...(tools ? { tools } : {}) });
  return (await runner.finalChatCompletion()).choices[0]!.message;
}

const chat: FrontDriver = {
  front: 'openai',
  label: 'chat',
  sdk: 'openai (chat.completions)',
  async text(base, model, stream, prompt) {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, maxRetries: 0 });
    return (await chatTurn(client, model, stream, [{ role: 'user', content: prompt }])).content ?? '';
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, maxRetries: 0 });
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: TOOL }];
    const messages: ChatMessage[] = [{ role: 'user', content: prompt }];
    const first = await chatTurn(client, model, stream, messages, tools);
    const tc = first.tool_calls?.[0];
    if (tc?.type !== 'function') throw new Error(`no tool call in the first turn: ${JSON.stringify(first)}`);
    messages.push(first as ChatMessage, { role: 'tool', tool_call_id: tc.id, content: TOOL_RESULT });
    const final = (await chatTurn(client, model, stream, messages, tools)).content ?? '';
    return { call: { id: tc.id, name: tc.function.name, args: JSON.parse(tc.function.arguments) }, final };
  },
};

// ---------------------------------------------------------------------------------------------------
// OpenAI Responses

type ResponseInput = OpenAI.Responses.ResponseInput;

async function responsesTurn(client: OpenAI, model: string, stream: boolean, input: ResponseInput, tools?: OpenAI.Responses.Tool[]): Promise<OpenAI.Responses.Response> {
  const body = { model, input, ...(tools ? { tools } : {}) };
  if (!stream) return client.responses.create(body);
  const s = client.responses.stream(body);
  return s.finalResponse();
}

const responses: FrontDriver = {
  front: 'openai-responses',
  label: 'responses',
  sdk: 'openai (responses)',
  async text(base, model, stream, prompt) {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, maxRetries: 0 });
    return (await responsesTurn(client, model, stream, [{ role: 'user', content: prompt }])).output_text;
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, maxRetries: 0 });
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: TOOL.name, description: TOOL.description, parameters: TOOL.parameters, strict: false }];
    const input: ResponseInput = [{ role: 'user', content: prompt }];
    const first = await responsesTurn(client, model, stream, input, tools);
    const fc = first.output.find((o) => o.type === 'function_call');
    if (fc?.type !== 'function_call') throw new Error(`no function_call in the first turn: ${JSON.stringify(first.output)}`);
    input.push(...(first.output as ResponseInput), { type: 'function_call_output', call_id: fc.call_id, output: TOOL_RESULT });
    const final = (await responsesTurn(client, model, stream, input, tools)).output_text;
    return { call: { id: fc.call_id, name: fc.name, args: JSON.parse(fc.arguments) }, final };
  },
};

// ---------------------------------------------------------------------------------------------------
// Anthropic Messages

async function messagesTurn(client: Anthropic, model: string, stream: boolean, messages: Anthropic.MessageParam[], tools?: Anthropic.Tool[]): Promise<Anthropic.Message> {
  const body = { model, max_tokens: 1024, messages, ...(tools ? { tools } : {}) };
  if (!stream) return client.messages.create(body);
  return client.messages.stream(body).finalMessage();
}

const textOfBlocks = (blocks: Anthropic.ContentBlock[]): string => blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');

const messages: FrontDriver = {
  front: 'anthropic',
  label: 'messages',
  sdk: '@anthropic-ai/sdk',
  async text(base, model, stream, prompt) {
    const client = new Anthropic({ baseURL: base, apiKey: KEY, maxRetries: 0 });
    return textOfBlocks((await messagesTurn(client, model, stream, [{ role: 'user', content: prompt }])).content);
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const client = new Anthropic({ baseURL: base, apiKey: KEY, maxRetries: 0 });
    const tools: Anthropic.Tool[] = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters as Anthropic.Tool.InputSchema }];
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
    const first = await messagesTurn(client, model, stream, history, tools);
    const use = first.content.find((b) => b.type === 'tool_use');
    if (use?.type !== 'tool_use') throw new Error(`no tool_use in the first turn: ${JSON.stringify(first.content)}`);
    history.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: TOOL_RESULT }] });
    const final = textOfBlocks((await messagesTurn(client, model, stream, history, tools)).content);
    return { call: { id: use.id, name: use.name, args: use.input }, final };
  },
};

// ---------------------------------------------------------------------------------------------------
// Cohere v2 chat

interface CohereTurn {
  text: string;
  plan: string;
  calls: Array<{ id: string; name: string; arguments: string }>;
}

async function cohereTurn(client: CohereClientV2, model: string, stream: boolean, msgs: Cohere.ChatMessageV2[], tools?: Cohere.ToolV2[]): Promise<CohereTurn> {
  const body = { model, messages: msgs, ...(tools ? { tools } : {}) };
  if (!stream) {
    const r = await client.chat(body);
    return {
      text: (r.message.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join(''),
      plan: r.message.toolPlan ?? '',
      calls: (r.message.toolCalls ?? []).map((c) => ({ id: c.id ?? '', name: c.function?.name ?? '', arguments: c.function?.arguments ?? '' })),
    };
  }
  // What a streaming cohere-ai user does: accumulate by event type.
  const turn: CohereTurn = { text: '', plan: '', calls: [] };
  for await (const ev of await client.chatStream(body)) {
    if (ev.type === 'content-delta') turn.text += ev.delta?.message?.content?.text ?? '';
    else if (ev.type === 'tool-plan-delta') turn.plan += ev.delta?.message?.toolPlan ?? '';
    else if (ev.type === 'tool-call-start') {
      const c = ev.delta?.message?.toolCalls;
      turn.calls.push({ id: c?.id ?? '', name: c?.function?.name ?? '', arguments: c?.function?.arguments ?? '' });
    } else if (ev.type === 'tool-call-delta') turn.calls[turn.calls.length - 1]!.arguments += ev.delta?.message?.toolCalls?.function?.arguments ?? '';
    else if (ev.type === 'message-end' && ev.delta?.error) throw new Error(`stream failed: ${ev.delta.error}`);
  }
  return turn;
}

const cohere: FrontDriver = {
  front: 'cohere',
  label: 'cohere',
  sdk: 'cohere-ai (v2)',
  async text(base, model, stream, prompt) {
    const client = new CohereClientV2({ token: KEY, baseUrl: base, maxRetries: 0 } as never);
    return (await cohereTurn(client, model, stream, [{ role: 'user', content: prompt }])).text;
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const client = new CohereClientV2({ token: KEY, baseUrl: base, maxRetries: 0 } as never);
    const tools: Cohere.ToolV2[] = [{ type: 'function', function: TOOL }];
    const history: Cohere.ChatMessageV2[] = [{ role: 'user', content: prompt }];
    const first = await cohereTurn(client, model, stream, history, tools);
    const c = first.calls[0];
    if (!c) throw new Error(`no tool call in the first turn: ${JSON.stringify(first)}`);
    // Cohere's documented loop: the assistant turn with its plan and calls, then one tool message per call.
    history.push(
      {
        role: 'assistant',
        toolPlan: first.plan || first.text || undefined,
        toolCalls: first.calls.map((k) => ({ id: k.id, type: 'function', function: { name: k.name, arguments: k.arguments } })),
      },
      { role: 'tool', toolCallId: c.id, content: TOOL_RESULT },
    );
    const final = (await cohereTurn(client, model, stream, history, tools)).text;
    return { call: { id: c.id, name: c.name, args: JSON.parse(c.arguments) }, final };
  },
};

// ---------------------------------------------------------------------------------------------------
// Gemini (@google/genai) and Bedrock (@aws-sdk/client-bedrock-runtime): loaded by name when their
// fronts are registered (their helpers add the packages).

async function load(name: string): Promise<any> {
  return import(name);
}

const gemini: FrontDriver = {
  front: 'gemini',
  label: 'gemini',
  sdk: '@google/genai',
  async text(base, model, stream, prompt) {
    const { GoogleGenAI } = await load('@google/genai');
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: base } });
    const req = { model, contents: prompt };
    if (!stream) return (await ai.models.generateContent(req)).text ?? '';
    let text = '';
    for await (const chunk of await ai.models.generateContentStream(req)) text += chunk.text ?? '';
    return text;
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const { GoogleGenAI } = await load('@google/genai');
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: base } });
    const config = { tools: [{ functionDeclarations: [{ name: TOOL.name, description: TOOL.description, parametersJsonSchema: TOOL.parameters }] }] };
    const contents: any[] = [{ role: 'user', parts: [{ text: prompt }] }];
    const turn = async (): Promise<{ parts: any[]; text: string }> => {
      if (!stream) {
        const r = await ai.models.generateContent({ model, contents, config });
        return { parts: r.candidates?.[0]?.content?.parts ?? [], text: r.text ?? '' };
      }
      const parts: any[] = [];
      let text = '';
      for await (const chunk of await ai.models.generateContentStream({ model, contents, config })) {
        parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
        text += chunk.text ?? '';
      }
      return { parts, text };
    };
    const first = await turn();
    const fc = first.parts.find((p) => p.functionCall)?.functionCall;
    if (!fc) throw new Error(`no functionCall in the first turn: ${JSON.stringify(first.parts)}`);
    contents.push({ role: 'model', parts: first.parts }, { role: 'user', parts: [{ functionResponse: { id: fc.id, name: fc.name, response: JSON.parse(TOOL_RESULT) } }] });
    const final = (await turn()).text;
    return { call: { id: fc.id ?? '', name: fc.name, args: fc.args }, final };
  },
};

async function bedrockClient(base: string): Promise<{ client: any; sdk: any }> {
  const sdk = await load('@aws-sdk/client-bedrock-runtime');
  const { NodeHttpHandler } = await load('@smithy/node-http-handler');
  // Plain-HTTP endpoints need the HTTP/1.1 handler (the SDK's default speaks HTTP/2).
  const client = new sdk.BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: base,
    credentials: { accessKeyId: 'AKIDMATRIX', secretAccessKey: 'matrix-secret' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  return { client, sdk };
}

async function converseTurn(base: string, model: string, stream: boolean, msgs: any[], toolConfig?: unknown): Promise<{ content: any[] }> {
  const { client, sdk } = await bedrockClient(base);
  const input = { modelId: model, messages: msgs, ...(toolConfig ? { toolConfig } : {}) };
  if (!stream) return { content: (await client.send(new sdk.ConverseCommand(input))).output?.message?.content ?? [] };
  const out = await client.send(new sdk.ConverseStreamCommand(input));
  const content: any[] = [];
  let current: any;
  for await (const ev of out.stream) {
    if (ev.contentBlockStart?.start?.toolUse) {
      current = { toolUse: { ...ev.contentBlockStart.start.toolUse, input: '' } };
      content.push(current);
    } else if (ev.contentBlockDelta?.delta?.text !== undefined) {
      if (current?.text === undefined) content.push((current = { text: '' }));
      current.text += ev.contentBlockDelta.delta.text;
    } else if (ev.contentBlockDelta?.delta?.toolUse) current.toolUse.input += ev.contentBlockDelta.delta.toolUse.input ?? '';
    else if (ev.contentBlockStop) {
      if (current?.toolUse) current.toolUse.input = JSON.parse(current.toolUse.input || '{}');
      current = undefined;
    }
  }
  return { content };
}

const bedrock: FrontDriver = {
  front: 'bedrock',
  label: 'bedrock',
  sdk: '@aws-sdk/client-bedrock-runtime (Converse)',
  async text(base, model, stream, prompt) {
    const r = await converseTurn(base, model, stream, [{ role: 'user', content: [{ text: prompt }] }]);
    return r.content.map((c) => c.text ?? '').join('');
  },
  async toolRoundTrip(base, model, stream, prompt) {
    const toolConfig = { tools: [{ toolSpec: { name: TOOL.name, description: TOOL.description, inputSchema: { json: TOOL.parameters } } }] };
    const history: any[] = [{ role: 'user', content: [{ text: prompt }] }];
    const first = await converseTurn(base, model, stream, history, toolConfig);
    const use = first.content.find((c) => c.toolUse)?.toolUse;
    if (!use) throw new Error(`no toolUse in the first turn: ${JSON.stringify(first.content)}`);
    history.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ toolResult: { toolUseId: use.toolUseId, content: [{ json: JSON.parse(TOOL_RESULT) }] } }] });
    const final = (await converseTurn(base, model, stream, history, toolConfig)).content.map((c) => c.text ?? '').join('');
    return { call: { id: use.toolUseId, name: use.name, args: use.input }, final };
  },
};

/** The six fronts of the grid, in row order. */
export const FRONT_DRIVERS: readonly FrontDriver[] = [chat, responses, messages, gemini, cohere, bedrock];
