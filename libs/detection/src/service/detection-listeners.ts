import type { UtcInstant } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import type { Detection } from '../detection/detection.schema.js';

export type DetectionListener = (detections: Detection[], context: DetectionContext) => Promise<void>;

export interface DetectionContext {
  ingestedAt: UtcInstant;
  events: AgentAction[];
}

/**
 * When a listener is called. `stored` (the default): once the detections are
 * stored, so it may read them back (clients of the SSE stream fetch
 * /v1/detections/:id). `raised`: as soon as the rules raise them, while they
 * are written, for listeners that keep their own record and for which every
 * round trip to the engine is latency (alerting, automatic containment).
 */
export type ListenerTiming = 'raised' | 'stored';

interface Entry {
  name: string;
  listener: DetectionListener;
  on: ListenerTiming;
}

/** Who hears of new detections, and when relative to their being stored. */
export class DetectionListeners {
  private readonly entries: Entry[] = [];

  /** Told of every listener that threw; a failure stops neither the other listeners nor the batch. */
  constructor(private readonly onFailure: (listener: string, error: unknown) => void) {}

  /** Returns a function that unsubscribes. */
  add(name: string, listener: DetectionListener, options: { on?: ListenerTiming } = {}): () => void {
    const entry: Entry = { name, listener, on: options.on ?? 'stored' };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  /**
   * Stores the detections with `store` while the `raised` listeners run, then
   * calls the `stored` ones. If storing fails the `raised` listeners have
   * still been heard out (an alert goes out even when the detections' write
   * does not), the `stored` ones are not called, and the error is rethrown.
   */
  async publish(detections: Detection[], context: DetectionContext, store: () => Promise<void>): Promise<void> {
    const raised = this.notify('raised', detections, context);
    try {
      await store();
    } finally {
      await raised;
    }
    await this.notify('stored', detections, context);
  }

  /** Calls the `stored` listeners of detections whose write landed late (a retry after `publish` failed). */
  storedLate(detections: Detection[], context: DetectionContext): Promise<void> {
    return this.notify('stored', detections, context);
  }

  /** Side by side: an alert does not wait for a containment's connectors. */
  private async notify(on: ListenerTiming, detections: Detection[], context: DetectionContext): Promise<void> {
    await Promise.all(
      this.entries
        .filter((e) => e.on === on)
        .map(async ({ name, listener }) => {
          try {
            await listener(detections, context);
          } catch (error) {
            this.onFailure(name, error);
          }
        }),
    );
  }
}
