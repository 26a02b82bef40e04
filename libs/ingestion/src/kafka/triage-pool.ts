import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ConsumedMessage } from './kafka-message.js';
import { type PackedMessages, asBuffer, bufferHeaders, packMessages } from './packed-messages.js';
import { type TriagedChunk, triageChunk } from './partition-chunk.js';

export interface TriageRequest {
  id: number;
  messages: PackedMessages;
  origin: { topic: string; partition: number };
  now: number;
}

export type TriageReply =
  | { id: number; ok: true; chunk: TriagedChunk }
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

interface Pending {
  resolve: (chunk: TriagedChunk) => void;
  reject: (error: unknown) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Compiled, the worker is the .js file beside this one. From source (tests,
 * benchmarks under tsx or vitest) it is .ts, which Node cannot load alone:
 * a small module registers tsx's loader in the worker, then imports it.
 */
function workerEntry(): URL {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new URL('./triage-worker.js', self);
  // The ESM entry of tsx/esm/api (require.resolve would give its CommonJS one).
  const tsx = pathToFileURL(join(dirname(createRequire(self).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./triage-worker.ts', self).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

// The same classes come back, so the caller's retry policy (JavaScript faults are bugs, never retried) still applies.
const ERROR_TYPES: Record<string, new (message: string) => Error> = { TypeError, RangeError, SyntaxError, ReferenceError };

/**
 * Decode → validate for consumed chunks on worker threads, so the main
 * thread keeps to Kafka, storage and detection. With no workers it runs
 * inline. A worker that dies fails what it held (the chunks are retried by
 * the caller) and is replaced.
 */
export class TriagePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  run(messages: ConsumedMessage[], origin: { topic: string; partition: number }, now: Date): Promise<TriagedChunk> {
    if (this.workers.length === 0) return Promise.resolve(triageChunk(messages, origin, now));
    if (this.closed) return Promise.reject(new Error('the triage pool is closed'));
    const target = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    // Only what triage reads crosses the thread boundary, copied out of the fetch response and transferred.
    const packed = packMessages(messages);
    const request: TriageRequest = { id, messages: packed, origin, now: now.getTime() };
    return new Promise<TriagedChunk>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage(request, [packed.bytes, packed.layout.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(workerEntry());
    worker.unref();
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.on('message', (reply: TriageReply) => {
      const pending = entry.pending.get(reply.id);
      if (!pending) return;
      entry.pending.delete(reply.id);
      if (reply.ok) {
        const chunk = reply.chunk;
        // Dead letters are produced as they came in: byte for byte, as Buffers.
        chunk.deadLetters = chunk.deadLetters.map((d) => ({ key: asBuffer(d.key), value: asBuffer(d.value), headers: bufferHeaders(d.headers) }));
        pending.resolve(chunk);
      } else {
        const error = new (ERROR_TYPES[reply.error.name] ?? Error)(reply.error.message);
        error.stack = reply.error.stack;
        pending.reject(error);
      }
    });
    const fail = (error: Error) => {
      for (const p of entry.pending.values()) p.reject(error);
      entry.pending.clear();
      const index = this.workers.indexOf(entry);
      if (index >= 0 && !this.closed) this.workers[index] = this.spawn();
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`a triage worker exited (code ${code})`));
    });
    return entry;
  }
}
