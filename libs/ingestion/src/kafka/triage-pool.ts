import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ConsumedMessage } from './kafka-message.js';
import { type TriagedChunk, triageChunk } from './partition-chunk.js';

export interface TriageRequest {
  id: number;
  messages: ConsumedMessage[];
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

/** Structured clone turns a Buffer into a plain Uint8Array: view the same bytes as a Buffer again (no copy). */
export function asBuffer<T>(value: T): T extends Uint8Array ? Buffer : T {
  return (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value) as T extends Uint8Array ? Buffer : T;
}

type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Headers with every byte value as a Buffer again. */
export function withBufferHeaders<H extends Headers | undefined>(headers: H): H {
  if (!headers) return headers;
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.map((v) => asBuffer(v)) : asBuffer(value);
  return out as H;
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
    // Only what triage reads crosses the thread boundary (kafkajs messages carry more).
    const request: TriageRequest = {
      id,
      messages: messages.map(({ key, value, offset, headers }) => ({ key, value, offset, headers })),
      origin,
      now: now.getTime(),
    };
    return new Promise<TriagedChunk>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage(request);
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
        chunk.deadLetters = chunk.deadLetters.map((d) => ({ key: asBuffer(d.key), value: asBuffer(d.value), headers: withBufferHeaders(d.headers) }));
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
