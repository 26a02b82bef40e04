import type { AgentAction } from '@warden/contracts';
import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import { fieldReader } from '../../condition/field-path.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { formatDuration } from '../../time/duration.js';
import { tally } from '../describe-event.js';
import type { EvidenceRef, Finding, RuleEvaluator, TimedEvent } from '../rule-evaluator.js';
import { KeyedWindows, windowKey, type WindowEntry } from '../window/keyed-windows.js';

interface Counted {
  actionType: string;
  /** JSON of the `distinct` field's value, in distinct mode. */
  distinct?: string;
}

/**
 * Counts (or distinct-counts) matching events per group in a sliding window.
 *
 * It fires on the event that brings the window to exactly `threshold`: the
 * other events in (t − window, t] number threshold − 1. That decision depends
 * only on events inside the window, so replaying one window of history after
 * a restart reproduces it exactly (lookback = window). A burst fires once; a
 * storm that dips below the threshold and climbs back fires again, and
 * alerting folds those together by group_key.
 *
 * Per key it keeps at most max(threshold, maxEntriesPerKey) entries, the
 * newest; since a decision only asks "are there threshold − 1 others?", the
 * newest `threshold` entries are enough to answer it exactly.
 * In distinct mode only the latest event per distinct value is kept.
 */
export class ThresholdEvaluator implements RuleEvaluator {
  readonly lookbackMs: number;
  private readonly when: EventPredicate;
  private readonly windows: KeyedWindows<Counted>;
  // Built on first use, so a rule that slipped past its schema fails where every rule's faults are recorded: on an event.
  private readGroup?: ((event: AgentAction) => unknown)[];
  private readDistinct?: (event: AgentAction) => unknown;

  constructor(
    private readonly rule: RuleOf<'threshold'>,
    limits: { maxEntriesPerKey: number },
  ) {
    this.lookbackMs = rule.params.window;
    this.when = compileCondition(rule.params.when);
    this.windows = new KeyedWindows<Counted>(rule.params.window, Math.max(rule.params.threshold, limits.maxEntriesPerKey));
  }

  observe(e: TimedEvent): void {
    this.step(e);
  }

  /**
   * A counted event whose group holds, with the batch's own events before it,
   * threshold − 1 others. Every entry the group's window holds counts, in
   * or out of the event's window: an overcount only makes the hint "true".
   */
  mayFireOn(events: readonly AgentAction[]): boolean {
    const counted = new Map<string, number>();
    for (const event of events) {
      if (!this.when(event)) continue;
      this.readGroup ??= this.rule.params.group_by.map(fieldReader);
      const group = this.readGroup.map((read) => read(event));
      if (group.some((v) => v === undefined || v === null)) continue;
      const key = windowKey(event.tenant, group);
      const n = (counted.get(key) ?? this.windows.count(key)) + 1;
      if (n >= this.rule.params.threshold) return true;
      counted.set(key, n);
    }
    return false;
  }

  evaluate(e: TimedEvent): Finding[] {
    return this.step(e);
  }

  private step(e: TimedEvent): Finding[] {
    if (!this.when(e.event)) return [];
    const { group_by: groupBy, distinct, threshold, window } = this.rule.params;
    this.readGroup ??= groupBy.map(fieldReader);
    const group = this.readGroup.map((read) => read(e.event));
    // An event lacking a group field is not lumped with every other such event.
    if (group.some((v) => v === undefined || v === null)) return [];
    let distinctValue: string | undefined;
    if (distinct !== undefined) {
      this.readDistinct ??= fieldReader(distinct);
      const raw = this.readDistinct(e.event);
      if (raw === undefined || raw === null) return [];
      distinctValue = JSON.stringify(raw);
    }

    const key = windowKey(e.event.tenant, group);
    const others = this.windows.range(key, e.atMs, e.event.event_id);
    const entry: WindowEntry<Counted> = {
      atMs: e.atMs,
      eventId: e.event.event_id,
      occurredAt: e.event.occurred_at,
      value: { actionType: e.event.action.type, distinct: distinctValue },
    };

    if (distinctValue === undefined) {
      if (this.windows.add(key, entry) === 'too_late') return [];
      if (others.length !== threshold - 1) return [];
      const evidence = [...others, entry];
      return [this.finding(e, evidence, `${threshold} matching events within ${formatDuration(window)} for ${describeGroup(groupBy, group)} (${tally(evidence.map((x) => x.value.actionType))})`)];
    }

    const latestPerValue = new Map<string, WindowEntry<Counted>>();
    for (const o of others) latestPerValue.set(o.value.distinct ?? '', o);
    const isNew = !latestPerValue.has(distinctValue);
    // Keep one entry per value, the latest, so repeats of one value cannot crowd out the others.
    const previous = latestPerValue.get(distinctValue);
    if (previous && previous.atMs <= e.atMs) this.windows.remove(key, previous.eventId);
    if (this.windows.add(key, entry) === 'too_late') return [];
    if (!isNew || latestPerValue.size !== threshold - 1) return [];
    const evidence = [...latestPerValue.values(), entry].sort((a, b) => a.atMs - b.atMs);
    return [this.finding(e, evidence, `${threshold} distinct ${distinct} within ${formatDuration(window)} for ${describeGroup(groupBy, group)}`)];
  }

  private finding(e: TimedEvent, entries: WindowEntry<Counted>[], summary: string): Finding {
    const evidence: EvidenceRef[] = entries.map((x) => ({ eventId: x.eventId, occurredAt: x.occurredAt, atMs: x.atMs }));
    return { trigger: e, evidence, count: entries.length, summary };
  }

  sweep(watermarkMs: number): void {
    this.windows.sweep(watermarkMs);
  }

  stateSize(): number {
    return this.windows.entryCount;
  }
}

function describeGroup(paths: readonly string[], values: readonly unknown[]): string {
  return paths.map((p, i) => `${p}=${typeof values[i] === 'string' ? values[i] : JSON.stringify(values[i])}`).join(', ');
}
