import type { ConsumedMessage } from './kafka-message.js';

type Headers = NonNullable<ConsumedMessage['headers']>;

/**
 * Consumed messages in a form that crosses to a worker thread cheaply: every
 * key and value copied into one buffer of their own, which is transferred,
 * not cloned. kafkajs hands out keys, values and header values as views into
 * its whole fetch response (megabytes, all partitions); structured clone
 * copies a view's entire underlying buffer, so posting a chunk of 27 messages
 * as they came copied the response each time (19 ms a post for views into
 * 8 MiB, against 0.07 ms for the same bytes on their own).
 */
export interface PackedMessages {
  /** Every key and value, back to back. */
  bytes: ArrayBuffer;
  /** Per message: key start, key length, value start, value length; a length of -1 is null. */
  layout: Int32Array<ArrayBuffer>;
  offsets: string[];
  /** Header values copied out of the response too (they are few and small). */
  headers: (Headers | undefined)[];
}

/** Copies what triage reads out of the messages; transfer `bytes` (and `layout.buffer`) when posting. */
export function packMessages(messages: readonly ConsumedMessage[]): PackedMessages {
  let total = 0;
  for (const m of messages) total += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const bytes = new ArrayBuffer(total);
  const target = new Uint8Array(bytes);
  const layout = new Int32Array(messages.length * 4);
  let at = 0;
  const put = (part: Buffer | null, slot: number) => {
    layout[slot] = at;
    if (part === null) {
      layout[slot + 1] = -1;
      return;
    }
    target.set(part, at);
    layout[slot + 1] = part.length;
    at += part.length;
  };
  messages.forEach((m, i) => {
    put(m.key, i * 4);
    put(m.value, i * 4 + 2);
  });
  return { bytes, layout, offsets: messages.map((m) => m.offset), headers: messages.map((m) => ownHeaders(m.headers)) };
}

/** The messages again, keys and values as Buffers over the packed bytes (no copy). */
export function unpackMessages(packed: PackedMessages): ConsumedMessage[] {
  const view = (slot: number) => {
    const length = packed.layout[slot + 1];
    return length < 0 ? null : Buffer.from(packed.bytes, packed.layout[slot], length);
  };
  return packed.offsets.map((offset, i) => ({
    offset,
    key: view(i * 4),
    value: view(i * 4 + 2),
    headers: bufferHeaders(packed.headers[i]),
  }));
}

function ownHeaders(headers: Headers | undefined): Headers | undefined {
  if (!headers) return undefined;
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.map(own) : value === undefined ? undefined : own(value);
  return out;
}

// A Uint8Array of its own (exactly its bytes), shown as a Buffer on the other side.
function own(value: Buffer | string): Buffer | string {
  return typeof value === 'string' ? value : (new Uint8Array(value) as Buffer);
}

/** Structured clone turns a Buffer into a plain Uint8Array: view the same bytes as a Buffer again (no copy). */
export function asBuffer<T>(value: T): T extends Uint8Array ? Buffer : T {
  return (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value) as T extends Uint8Array ? Buffer : T;
}

/** Headers with every byte value as a Buffer again. */
export function bufferHeaders<H extends Headers | undefined>(headers: H): H {
  if (!headers) return headers;
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.map((v) => asBuffer(v)) : asBuffer(value);
  return out as H;
}
