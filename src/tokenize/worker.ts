// The token counting worker thread (offload.ts): counts the texts of each job with the vocabulary's
// counter, loaded here on first use, and answers with the counts in the same order.

import { parentPort } from 'node:worker_threads';
import { loadEncoder } from './count.ts';
import type { CountJob, CountReply } from './offload.ts';

const port = parentPort;
if (port === null) throw new Error('src/tokenize/worker.ts runs as a worker thread');

port.on('message', async (job: CountJob) => {
  let reply: CountReply;
  try {
    const encoder = await loadEncoder(job.vocabulary);
    reply = { id: job.id, counts: job.texts.map((t) => encoder.countTokens(t)) };
  } catch (err) {
    reply = { id: job.id, error: String(err) };
  }
  port.postMessage(reply);
});
