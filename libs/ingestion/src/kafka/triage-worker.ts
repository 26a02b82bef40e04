/**
 * Worker thread entry: decodes and validates consumed messages off the main
 * thread (JSON parse, contract check, normalise, redact: the largest share of
 * the ingest path's JavaScript CPU). Pure: no I/O, no state between chunks.
 */
import { parentPort } from 'node:worker_threads';
import { triageChunk } from './partition-chunk.js';
import { unpackMessages } from './packed-messages.js';
import type { TriageReply, TriageRequest } from './triage-pool.js';

if (!parentPort) throw new Error('triage-worker must run as a worker thread');
const port = parentPort;

port.on('message', (request: TriageRequest) => {
  let reply: TriageReply;
  try {
    reply = { id: request.id, ok: true, chunk: triageChunk(unpackMessages(request.messages), request.origin, new Date(request.now)) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id: request.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
  }
  port.postMessage(reply);
});
