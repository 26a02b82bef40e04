import type { AgentAction } from '@warden/contracts';
import { type ValidatedBatch, validateBatch } from '../pipeline/validate-batch.js';
import { DLQ_HEADERS, type DeadLetter, toDeadLetter } from './dead-letter.js';
import { type ConsumedMessage, type DeadLetterReason, decodeMessage } from './kafka-message.js';

export interface TriagedChunk {
  /** Valid, normalised events to store, each event_id once. */
  events: AgentAction[];
  /** Events repeated within the chunk. */
  repeats: number;
  redactions: ValidatedBatch['redactions'];
  deadLetters: DeadLetter[];
  deadLetterReasons: DeadLetterReason[];
  /** Offset to commit once this chunk is stored: the last message's offset + 1. */
  nextOffset: string;
}

/** decode → validate for a run of one partition's messages: what to store, what to dead-letter. Pure. */
export function triageChunk(
  messages: ConsumedMessage[],
  origin: { topic: string; partition: number },
  now: Date,
): TriagedChunk {
  const deadLetters: DeadLetter[] = [];
  const deadLetterReasons: DeadLetterReason[] = [];
  const decoded = [];
  const decodedFrom: ConsumedMessage[] = [];
  for (const message of messages) {
    const d = decodeMessage(message.value);
    if (d.ok) {
      decoded.push(d.event);
      decodedFrom.push(message);
    } else {
      deadLetters.push(toDeadLetter(message, origin, d.reason, d.errors, now));
      deadLetterReasons.push(d.reason);
    }
  }
  // The tenant of a Kafka event is its own: the topic is a trusted pipe, not a caller with a credential.
  const validated = validateBatch(decoded);
  for (const r of validated.rejected) {
    deadLetters.push(toDeadLetter(decodedFrom[r.index], origin, 'contract', r.errors, now));
    deadLetterReasons.push('contract');
  }
  // Keep dead letters in their original order, whatever step rejected them.
  const order = deadLetters.map((_, i) => i).sort((a, b) => offsetOf(deadLetters[a]) - offsetOf(deadLetters[b]));
  const last = messages[messages.length - 1];
  return {
    events: validated.events,
    repeats: validated.repeats,
    redactions: validated.redactions,
    deadLetters: order.map((i) => deadLetters[i]),
    deadLetterReasons: order.map((i) => deadLetterReasons[i]),
    nextOffset: (BigInt(last.offset) + 1n).toString(),
  };
}

function offsetOf(letter: DeadLetter): number {
  return Number(letter.headers[DLQ_HEADERS.offset]);
}
