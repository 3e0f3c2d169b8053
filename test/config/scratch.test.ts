import { parseConfig, ConfigError } from '../../src/config/index.ts';
const show = (t: string, env = {}) => { try { console.log(JSON.stringify(parseConfig(t, { env }), null, 1)); } catch (e) { if (e instanceof ConfigError) console.log(e.problems); else throw e; } };
show(`
server: { port: "\${PORT:-4001}", keepalive: 10s, max_body: 1mb, hots: x }
providers:
  openai: { type: openai, base_url: https://api.openai.com/v1/chat/completions/, api_key: "\${OPENAI_KEY}", bse_url: x }
  az: { preset: azure-anthropic, api_key: sk-supersecret-123, timeouts: { connect: 5x, firstbyte: 1s } }
  mm: { preset: minimax-openai, api_key: "\${MM}" , temperature_range: [0.5, 0.2]}
  p1: { preset: olama }
models:
  fast:
    strategy: wieghted
    targets: [ { provider: openai, model: gpt }, { provider: opnai, model: x, weight: -1 } ]
  "gpt-4.1": { targets: [] }
auth:
  keys:
    - { name: ci, key: sk-supersecret-123, models: [fast, claud], rpm: 0 }
    - { name: ci, key: sk-supersecret-123, extra: 1 }
store: mysql://u:pw@h/db
redis: http://x
logging: { level: verbose }
retries: { backoff: 10s, max_backoff: 1s }
bogus: 1
`, { MM: 'k' });
show(`
providers:
  local: { preset: ollama }
  az: { preset: azure-anthropic, base_url: https://x.services.ai.azure.com/anthropic/v1/messages, api_key: k }
  g: { type: gemini, base_url: https://generativelanguage.googleapis.com/v1beta/ }
models:
  m: { targets: [ { provider: local, model: qwen } ] }
`);
show('');
show('a: [1');
show(`server: { port: \${PORT} }\n`);
