import type { Redaction } from './redact-event.js';
import type { SecretKind } from './secret-patterns.js';

/**
 * Redactions counted per kind since start, for the ingest metrics: a rising
 * count tells the owner of an agent that it is leaking credentials into its
 * events, without the log ever holding them.
 */
export class RedactionCounter {
  private readonly byKind = new Map<SecretKind, number>();
  private events = 0;

  /** Counts the redactions of one event (an event with none is not counted). */
  record(redactions: readonly Redaction[]): void {
    if (redactions.length === 0) return;
    this.events += 1;
    for (const { kind } of redactions) this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
  }

  /** Kinds in alphabetical order, so two snapshots compare and print the same way. */
  snapshot(): { total: number; events: number; by_kind: Partial<Record<SecretKind, number>> } {
    const kinds = [...this.byKind.keys()].sort();
    let total = 0;
    const by_kind: Partial<Record<SecretKind, number>> = {};
    for (const kind of kinds) {
      const n = this.byKind.get(kind) ?? 0;
      by_kind[kind] = n;
      total += n;
    }
    return { total, events: this.events, by_kind };
  }
}
