import { EVENT_MAX_BYTES, type ContractViolation } from '@warden/contracts';
import type { DecodedEvent } from '../decoding/event-batch.decoder.js';

/** Why a message went to the dead-letter topic. Stable values: consumers of the DLQ switch on them. */
export type DeadLetterReason = 'not_json' | 'too_large' | 'contract';

/** What Warden needs of a consumed Kafka message (a subset of kafkajs's KafkaMessage). */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export type MessageDecoding =
  | { ok: true; event: DecodedEvent }
  | { ok: false; reason: DeadLetterReason; errors: ContractViolation[] };

/** Bytes → a decoded event, or the reason it cannot be one. Never throws. */
export function decodeMessage(value: Buffer | null): MessageDecoding {
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'not_json', errors: [{ path: '', message: 'empty message (no value)' }] };
  }
  if (value.length > EVENT_MAX_BYTES) {
    return {
      ok: false,
      reason: 'too_large',
      errors: [{ path: '', message: `message is ${value.length} bytes; at most ${EVENT_MAX_BYTES} are allowed` }],
    };
  }
  const raw = value.toString('utf8');
  try {
    return { ok: true, event: { value: JSON.parse(raw), raw } };
  } catch (error) {
    return { ok: false, reason: 'not_json', errors: [{ path: '', message: `not JSON: ${(error as Error).message}` }] };
  }
}
