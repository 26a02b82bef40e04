import type { ContractViolation } from '@warden/contracts';
import type { ConsumedMessage, DeadLetterReason } from './kafka-message.js';

/** Headers Warden adds to a dead letter. The original headers are kept as they were. */
export const DLQ_HEADERS = {
  reason: 'warden.dlq.reason',
  errors: 'warden.dlq.errors',
  topic: 'warden.dlq.original.topic',
  partition: 'warden.dlq.original.partition',
  offset: 'warden.dlq.original.offset',
  at: 'warden.dlq.at',
} as const;

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[]>;
}

/** The DLQ record for a message: original key and bytes untouched, the reason and coordinates in headers. */
export function toDeadLetter(
  message: ConsumedMessage,
  origin: { topic: string; partition: number },
  reason: DeadLetterReason,
  errors: ContractViolation[],
  at: Date,
): DeadLetter {
  const kept: DeadLetter['headers'] = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) kept[name] = value;
  }
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...kept,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.errors]: JSON.stringify(errors),
      [DLQ_HEADERS.topic]: origin.topic,
      [DLQ_HEADERS.partition]: String(origin.partition),
      [DLQ_HEADERS.offset]: message.offset,
      [DLQ_HEADERS.at]: at.toISOString(),
    },
  };
}
