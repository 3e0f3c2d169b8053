// Config of the cloud provider types (SPEC §2): what `vertex` and `azure-openai` accept, their
// defaults, and every problem reported with its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/config/index.ts';

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected the config to be rejected');
}

test('vertex: settings land in provider.settings; no base_url needed; region defaults to global at request time', () => {
  const config = parseConfig(
    `
providers:
  v: { type: vertex, project: my-proj, region: US-East5, credentials: /etc/sa.json }
  g: { type: vertex, project: my-proj }
  pasted: { type: vertex, project: p, base_url: "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/google/models/x:generateContent" }
`,
    { env: {} },
  );
  assert.deepEqual(config.providers.v!.settings, { project: 'my-proj', region: 'us-east5', credentials: '/etc/sa.json' });
  assert.equal(config.providers.g!.baseUrl, '');
  assert.equal(config.providers.pasted!.baseUrl, 'https://us-east5-aiplatform.googleapis.com');
});

test('vertex: problems name the field', () => {
  assert.deepEqual(
    problemsOf(`
providers:
  a: { type: vertex, region: us-east5 }
  b: { type: vertex, project: p, region: "not a region!" }
  c: { type: vertex, project: p, api_key: k, credentials: /x.json }
`),
    [
      'providers.a.project: required (the Google Cloud project id), unless api_key selects express mode',
      'providers.b.region: "not a region!" is not a Vertex AI location (e.g. us-east5, europe-west1, global, us, eu)',
      'providers.c.credentials: not used with api_key (express mode): give one or the other',
    ],
  );
  // Another type's field is an unknown field here.
  const [unknown] = problemsOf(`
providers:
  d: { type: vertex, project: p, api_version: "2024-10-21" }
`);
  assert.match(unknown!, /^providers\.d\.api_version: /);
});

test('azure-openai: base_url required, api_version checked, a pasted Target URI path cut back', () => {
  const config = parseConfig(
    `
providers:
  a: { type: azure-openai, base_url: "https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions", api_key: k, api_version: 2024-10-21 }
  v1: { type: azure-openai, base_url: "https://r.openai.azure.com/openai/v1/" }
`,
    { env: {} },
  );
  assert.equal(config.providers.a!.baseUrl, 'https://r.openai.azure.com');
  assert.deepEqual(config.providers.a!.settings, { apiVersion: '2024-10-21' });
  assert.equal(config.providers.v1!.baseUrl, 'https://r.openai.azure.com');
  const problems = problemsOf(`
providers:
  a: { type: azure-openai, api_key: k }
  b: { type: azure-openai, base_url: "https://r.openai.azure.com", api_version: "latest" }
  c: { type: azure-openai, base_url: "https://r.openai.azure.com/openai/deployments/x/chat/completions?api-version=2024-10-21" }
`);
  assert.equal(problems[0], 'providers.a.base_url: required for type azure-openai');
  assert.match(problems[1]!, /^providers\.b\.api_version: "latest" is not an Azure OpenAI api-version/);
  assert.match(problems[2]!, /^providers\.c\.base_url: must not contain a query string/);
});
