import type { AlertOutbox, DeliveryRecord } from '../outbox/alert-outbox.port.js';

interface Waiting {
  delivery: DeliveryRecord;
  settle: (error?: unknown) => void;
}

/**
 * Appends attempts' outcomes to the outbox, one write at a time: outcomes
 * that come in while a write is under way go together in the next. An
 * alert storm's answers arrive within milliseconds of each other; one
 * fsync'd insert each queued fifty writes on the engine's connections, in
 * front of the writes that finish accepting the batch (its alert states and
 * detection records).
 */
export class AttemptRecorder {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly outbox: Pick<AlertOutbox, 'recordAttempts'>) {}

  /** Resolves once the outcome is stored; rejects with the write's error (the whole write failed). */
  record(delivery: DeliveryRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.outbox.recordAttempts(batch.map((w) => w.delivery));
        for (const w of batch) w.settle();
      } catch (error) {
        for (const w of batch) w.settle(error ?? new Error('the outbox write failed'));
      }
    }
    this.writing = false;
  }
}
