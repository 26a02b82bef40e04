import { describe, expect, it } from 'vitest';
import { EVALUATION_ERROR } from '../detection.errors.js';
import { MAX_EVIDENCE_IDS, detectionSchema, groupKey } from '../detection/detection.schema.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import type { Rule } from '../rules/rule.schema.js';
import { detect, engineWith, fired, rule } from '../testing/engine.fixture.js';
import { at, event } from '../testing/event.fixture.js';

const denied = rule({ id: 'denied', kind: 'match', params: { when: { field: 'outcome', equals: 'denied' } } });
const threeDenied = rule({ id: 'three-denied', kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1m', threshold: 3 } });
const deniedEvent = (id: string, s: number, principal = 'agent-7') => event({ id, occurred_at: at(s), principal: { id: principal }, outcome: 'denied' });

describe('detections', () => {
  it('conform to the published detection schema', async () => {
    const ds = await detect(engineWith([denied, threeDenied]), [deniedEvent('a', 0), deniedEvent('b', 1), deniedEvent('c', 2)]);
    expect(ds).toHaveLength(4);
    for (const d of ds) expect(detectionSchema.parse(d)).toEqual(d);
  });

  it('carry a group key of rule, tenant and principal that no id can forge', () => {
    expect(groupKey('mass-deletion-burst', 'acme', 'agent-7')).toBe('mass-deletion-burst/acme/agent-7');
    expect(groupKey('r', 'a/b', 'c')).not.toBe(groupKey('r', 'a', 'b/c'));
    expect(groupKey('r', 'a/b', 'c')).toBe('r/a%2Fb/c');
  });

  it('have the same detection id when the same event is evaluated again, and a different one per rule', async () => {
    const engine = engineWith([denied]);
    const [first] = await detect(engine, [deniedEvent('a', 0)]);
    const [again] = await detect(engine, [deniedEvent('a', 0)]);
    const [other] = await detect(engineWith([{ ...denied, id: 'denied-too' }]), [deniedEvent('a', 0)]);
    expect(again.detection_id).toBe(first.detection_id);
    expect(other.detection_id).not.toBe(first.detection_id);
  });

  it('are emitted once when a batch holds the same event twice', async () => {
    expect(fired(await detect(engineWith([denied]), [deniedEvent('a', 0), deniedEvent('a', 0)]))).toEqual(['denied agent-7 @a']);
  });

  it('cite at most the most recent MAX_EVIDENCE_IDS events but count them all', async () => {
    const many = rule({ id: 'many', kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1h', threshold: 150 } });
    const events = Array.from({ length: 150 }, (_, i) => deniedEvent(`e${i}`, i));
    const [d] = await detect(engineWith([many]), events);
    expect([d.count, d.evidence_event_ids.length, d.evidence_event_ids[0], d.first_seen]).toEqual([150, MAX_EVIDENCE_IDS, 'e50', at(0)]);
  });
});

describe('evaluation order', () => {
  it('sorts each batch by occurred_at before evaluating', async () => {
    const ds = await detect(engineWith([threeDenied]), [deniedEvent('c', 2), deniedEvent('a', 0), deniedEvent('b', 1)]);
    expect(ds.map((d) => [d.trigger_event_id, d.evidence_event_ids])).toEqual([['c', ['a', 'b', 'c']]]);
  });

  it('runs overlapping calls one after the other, as if awaited in turn', async () => {
    const engine = engineWith([threeDenied]);
    const [r1, r2] = await Promise.all([engine.evaluate([deniedEvent('a', 0), deniedEvent('b', 1)]), engine.evaluate([deniedEvent('c', 2)])]);
    expect([fired(r1.detections), fired(r2.detections)]).toEqual([[], ['three-denied agent-7 @c']]);
  });
});

describe('failures', () => {
  it('records an event whose time cannot be read, and evaluates the rest', async () => {
    const bad = { ...deniedEvent('bad', 0), occurred_at: 'yesterday' };
    const { detections, errors } = await engineWith([denied]).evaluate([bad, deniedEvent('good', 1)]);
    expect(fired(detections)).toEqual(['denied agent-7 @good']);
    expect(errors).toEqual([{ code: EVALUATION_ERROR.BAD_EVENT_TIME, rule_id: null, message: 'not an RFC 3339 timestamp with offset: yesterday', count: 1, event_ids: ['bad'] }]);
  });

  it('records a rule that throws on every event, counted once per rule, while the other rules still run', async () => {
    // A rule that bypassed the schema: group_by is not a list, which only shows when an event matches.
    const broken = { ...threeDenied, id: 'broken', params: { ...threeDenied.params, group_by: 'principal.id' } } as unknown as Rule;
    const events = Array.from({ length: 8 }, (_, i) => deniedEvent(`e${i}`, i));
    const { detections, errors } = await engineWith([broken, denied], undefined, { maxErrorSamples: 3 }).evaluate(events);
    expect(detections.map((d) => d.rule_id)).toEqual(Array(8).fill('denied'));
    expect(errors).toEqual([{ code: EVALUATION_ERROR.RULE_FAILED, rule_id: 'broken', message: expect.stringContaining('map'), count: 8, event_ids: ['e0', 'e1', 'e2'] }]);
  });

  it('does not run a rule it cannot prepare, or a second rule with the same id, and says so', async () => {
    const unrunnable = { ...denied, id: 'unrunnable', params: { when: { field: 'action.type', regex: '(' } } } as Rule;
    const engine = engineWith([unrunnable, denied, { ...denied, severity: 'critical' }]);
    expect(engine.ruleIds).toEqual(['denied']);
    expect(engine.setupErrors.map((e) => [e.code, e.rule_id])).toEqual([
      [EVALUATION_ERROR.RULE_NOT_RUNNABLE, 'unrunnable'],
      [EVALUATION_ERROR.DUPLICATE_RULE_ID, 'denied'],
    ]);
    expect((await detect(engine, [deniedEvent('a', 0)])).map((d) => d.severity)).toEqual(['high']);
  });

  it('skips disabled rules', async () => {
    const engine = engineWith([{ ...denied, enabled: false }]);
    expect([engine.ruleIds, await detect(engine, [deniedEvent('a', 0)])]).toEqual([[], []]);
  });
});

describe('lookback and reload', () => {
  const readThenPost = rule({
    id: 'read-then-post',
    kind: 'sequence',
    params: { first: { field: 'action.type', equals: 'data.read' }, then: { field: 'action.type', equals: 'message.post' }, within: '10m' },
  });
  const firstGrant = rule({ id: 'first-grant', kind: 'first_seen', params: { when: { field: 'action.type', prefix: 'permission.' }, lookback: '30d' } });

  it('reports the event-time history each rule needs replayed: its window, or nothing', () => {
    expect(engineWith([denied, threeDenied, readThenPost, firstGrant]).lookback()).toEqual({
      max_ms: 600_000,
      by_rule: { denied: 0, 'three-denied': 60_000, 'read-then-post': 600_000, 'first-grant': 0 },
    });
  });

  it('keeps the window state of unchanged rules across a reload, and starts changed ones afresh', async () => {
    const twoDenied = rule({ id: 'two-denied', kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1m', threshold: 2 } });
    const engine = engineWith([threeDenied, twoDenied, denied]);
    await detect(engine, [deniedEvent('a', 0)]);
    const changedTwo = { ...twoDenied, severity: 'critical' as const };
    expect(await engine.reload([threeDenied, changedTwo, readThenPost])).toEqual({
      kept: ['three-denied'],
      reset: ['two-denied', 'read-then-post'],
      removed: ['denied'],
      errors: [],
    });
    // three-denied still remembers "a"; two-denied forgot it.
    expect(fired(await detect(engine, [deniedEvent('b', 1), deniedEvent('c', 2)]))).toEqual(['three-denied agent-7 @c', 'two-denied agent-7 @c']);
  });

  it('asks the history port only about events a first-seen rule selects', async () => {
    const history = new InMemoryActionHistory();
    await detect(engineWith([firstGrant], history), [deniedEvent('a', 0), event({ id: 'g', action: { type: 'permission.grant' } })]);
    expect(history.queries.map((q) => q.actionType)).toEqual(['permission.grant']);
  });
});
