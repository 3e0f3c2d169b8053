// Stored Responses belong to the client key that made them (store.ts). With responses.store on and
// two client keys, key B cannot read, list the input of, delete or continue (previous_response_id)
// key A's response: each answers as for an unknown id. Key A can do all of it. (Item references:
// test/protocols/openai-responses/decode-request.test.ts.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const KEY_A = 'sk-owner-test-key-a';
const KEY_B = 'sk-owner-test-key-b';

describe('stored responses are per client key', () => {
  let sluice: SluiceProcess;
  let a: OpenAI;
  let b: OpenAI;
  before(async () => {
    sluice = await startSluice({
      config: `responses: { store: true }\nauth:\n  keys:\n    - { name: team-a, key: "${KEY_A}" }\n    - { name: team-b, key: "${KEY_B}" }\n`,
    });
    a = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
    b = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: KEY_B, maxRetries: 0 });
  });
  after(() => sluice?.stop());

  const notFound = (err: unknown): boolean => err instanceof OpenAI.NotFoundError && /unknown to this sluice or expired/.test(err.message);

  test("another key's response is unknown to it; its own key keeps every use", async () => {
    const first = await a.responses.create({ model: 'demo', input: 'the secret plan of team a' });
    const streamed = await a.responses.stream({ model: 'demo', input: 'streamed too' }).finalResponse();

    for (const id of [first.id, streamed.id]) {
      await assert.rejects(b.responses.retrieve(id), notFound);
      await assert.rejects(b.responses.inputItems.list(id), notFound);
      await assert.rejects(b.responses.delete(id), notFound);
      await assert.rejects(
        b.responses.create({ model: 'demo', input: 'and then?', previous_response_id: id }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && /Previous response with id .* not found/.test(err.message),
      );
    }
    assert.equal((await a.responses.retrieve(first.id)).id, first.id);
    const items = await a.responses.inputItems.list(first.id);
    assert.match(JSON.stringify(items.data), /the secret plan of team a/);
    const second = await a.responses.create({ model: 'demo', input: 'and then?', previous_response_id: first.id });
    assert.equal(second.status, 'completed');
    await a.responses.delete(first.id);
    await assert.rejects(a.responses.retrieve(first.id), notFound);
  });
});
