/** One event remembered by a window: its time, its id and what the rule needs of it. */
export interface WindowEntry<V> {
  atMs: number;
  eventId: string;
  occurredAt: string;
  value: V;
}

export type AddOutcome = 'added' | 'duplicate' | 'too_late';

/**
 * The events of one key (tenant + group) within a sliding window of event
 * time, ordered by time. The window is half-open, (t − window, t]: an event
 * exactly `window` old has left it.
 *
 * Memory is bounded twice: entries older than the newest minus the window
 * are evicted on every add, and at most `maxEntries` are kept (the oldest go
 * first). Both keep the newest events, which are the ones every later
 * decision looks at.
 *
 * Idempotent by event id: redelivering an event, or replaying one during
 * warm-up that also arrives live, never counts it twice.
 */
class EventWindow<V> {
  private entries: WindowEntry<V>[] = [];
  private readonly ids = new Set<string>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get newestMs(): number {
    return this.entries.length === 0 ? Number.NEGATIVE_INFINITY : this.entries[this.entries.length - 1].atMs;
  }

  has(eventId: string): boolean {
    return this.ids.has(eventId);
  }

  /** Entries with atMs in (toMs − window, toMs], oldest first, without `excludeEventId`. */
  range(toMs: number, excludeEventId?: string): WindowEntry<V>[] {
    const fromMs = toMs - this.windowMs;
    return this.entries.filter((e) => e.atMs > fromMs && e.atMs <= toMs && e.eventId !== excludeEventId);
  }

  add(entry: WindowEntry<V>): AddOutcome {
    if (this.ids.has(entry.eventId)) return 'duplicate';
    // Events arrive in time order per principal, so this is almost always an
    // append; a slightly late event is slotted into place rather than lost.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].atMs > entry.atMs) i--;
    if (i === 0 && this.entries.length > 0 && entry.atMs <= this.newestMs - this.windowMs) return 'too_late';
    this.entries.splice(i, 0, entry);
    this.ids.add(entry.eventId);
    this.evictOlderThan(this.newestMs - this.windowMs);
    if (this.entries.length > this.maxEntries) this.dropFirst(this.entries.length - this.maxEntries);
    return 'added';
  }

  remove(eventId: string): void {
    if (!this.ids.delete(eventId)) return;
    this.entries = this.entries.filter((e) => e.eventId !== eventId);
  }

  /** Drops entries with atMs ≤ cutoffMs (they are outside every window that ends after cutoff + window). */
  evictOlderThan(cutoffMs: number): void {
    let n = 0;
    while (n < this.entries.length && this.entries[n].atMs <= cutoffMs) n++;
    if (n > 0) this.dropFirst(n);
  }

  private dropFirst(n: number): void {
    for (const e of this.entries.slice(0, n)) this.ids.delete(e.eventId);
    this.entries = this.entries.slice(n);
  }
}

/** Windows by key. Keys whose events have all aged out are deleted by `sweep`. */
export class KeyedWindows<V> {
  private readonly windows = new Map<string, EventWindow<V>>();

  constructor(
    readonly windowMs: number,
    private readonly maxEntriesPerKey: number,
  ) {}

  /** The window of `key`, created empty if absent. */
  private window(key: string): EventWindow<V> {
    let w = this.windows.get(key);
    if (!w) {
      w = new EventWindow<V>(this.windowMs, this.maxEntriesPerKey);
      this.windows.set(key, w);
    }
    return w;
  }

  range(key: string, toMs: number, excludeEventId?: string): WindowEntry<V>[] {
    return this.windows.get(key)?.range(toMs, excludeEventId) ?? [];
  }

  add(key: string, entry: WindowEntry<V>): AddOutcome {
    return this.window(key).add(entry);
  }

  remove(key: string, eventId: string): void {
    this.windows.get(key)?.remove(eventId);
  }

  /**
   * Forgets everything that cannot fall in a window ending at or after
   * `watermarkMs`. Without this, a principal seen once would hold memory forever.
   */
  sweep(watermarkMs: number): void {
    const cutoff = watermarkMs - this.windowMs;
    for (const [key, w] of this.windows) {
      w.evictOlderThan(cutoff);
      if (w.size === 0) this.windows.delete(key);
    }
  }

  /** Entries the key holds now, whatever their time (until a sweep). */
  count(key: string): number {
    return this.windows.get(key)?.size ?? 0;
  }

  get keyCount(): number {
    return this.windows.size;
  }

  get entryCount(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.size;
    return n;
  }
}

/** Tenant always leads the key: windows never mix tenants. */
export function windowKey(tenant: string, parts: readonly unknown[]): string {
  return JSON.stringify([tenant, ...parts]);
}
