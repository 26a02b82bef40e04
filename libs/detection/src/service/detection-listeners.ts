import { type UtcInstant, isProgrammingError } from '@warden/common';
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

/** `publish`'s write of the detections failed (its error is the cause); `owed`: the `raised` listeners that failed too, with an error worth another try. */
export class DetectionsNotStored extends Error {
  override readonly name = 'DetectionsNotStored';
  constructor(
    override readonly cause: unknown,
    readonly owed: string[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
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
   * Resolves with the `raised` listeners that failed with an error worth
   * another try (not a bug): what they were to do (an alert) is still owed,
   * and `retry` gives it to them again.
   */
  async publish(detections: Detection[], context: DetectionContext, store: () => Promise<void>): Promise<string[]> {
    const raised = this.notify('raised', detections, context);
    try {
      await store();
    } catch (error) {
      throw new DetectionsNotStored(error, await raised);
    }
    const owed = await raised;
    await this.notify('stored', detections, context);
    return owed;
  }

  /** Calls the named `raised` listeners again (those `publish` reported); resolves with those that failed again. */
  retry(names: readonly string[], detections: Detection[], context: DetectionContext): Promise<string[]> {
    return this.notify('raised', detections, context, new Set(names));
  }

  /** Calls the `stored` listeners of detections whose write landed late (a retry after `publish` failed). */
  async storedLate(detections: Detection[], context: DetectionContext): Promise<void> {
    await this.notify('stored', detections, context);
  }

  /** Side by side: an alert does not wait for a containment's connectors. Resolves with the listeners that failed with an error worth another try. */
  private async notify(on: ListenerTiming, detections: Detection[], context: DetectionContext, only?: ReadonlySet<string>): Promise<string[]> {
    const failed: string[] = [];
    await Promise.all(
      this.entries
        .filter((e) => e.on === on && (only === undefined || only.has(e.name)))
        .map(async ({ name, listener }) => {
          try {
            await listener(detections, context);
          } catch (error) {
            this.onFailure(name, error);
            if (!isProgrammingError(error)) failed.push(name);
          }
        }),
    );
    return failed;
  }
}
