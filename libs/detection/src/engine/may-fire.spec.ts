import type { AgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../rules/rule.schema.js';
import { loadRules } from '../rules/rule-loader.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import { benignTraffic } from '../testing/benign-traffic.fixture.js';
import { detect, engineWith, rule } from '../testing/engine.fixture.js';
import { T0, at, event } from '../testing/event.fixture.js';
import { SHIPPED_RULES_DIR } from '../testing/scenario.fixture.js';
import { DetectionEngine } from './detection-engine.js';

/**
 * `mayFireOn`: the hint ingest asks before a batch is stored, so a batch a
 * rule may fire on skips the write pacing. "True" costs one smaller insert;
 * "false" where a rule then fires costs that alert the pacing.
 */

const read = (id: string, s = 0, principal = 'agent-7') => event({ id, occurred_at: at(s), principal: { id: principal } });
const denied = (id: string, s = 0, principal = 'agent-7') => event({ id, occurred_at: at(s), principal: { id: principal }, outcome: 'denied' });

describe('a match rule', () => {
  const deniedRule = rule({ kind: 'match', params: { when: { field: 'outcome', equals: 'denied' } } });

  it('may fire on a batch holding an event its condition selects, and on no other', () => {
    const engine = engineWith([deniedRule]);
    expect(engine.mayFireOn([read('a'), denied('b')])).toBe(true);
    expect(engine.mayFireOn([read('a'), read('c')])).toBe(false);
  });
});

describe('a threshold rule (three denials a minute)', () => {
  const threeDenied = rule({ kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1m', threshold: 3 } });

  it('may not fire while the group, with the batch, holds fewer than the threshold', async () => {
    const engine = engineWith([threeDenied]);
    expect(engine.mayFireOn([denied('a', 0), denied('b', 1)])).toBe(false);
    await detect(engine, [denied('a', 0)]);
    expect(engine.mayFireOn([denied('b', 1)])).toBe(false);
  });

  it('may fire once the window held and the batch together reach it', async () => {
    const engine = engineWith([threeDenied]);
    expect(engine.mayFireOn([denied('a', 0), denied('b', 1), denied('c', 2)])).toBe(true);
    await detect(engine, [denied('a', 0), denied('b', 1)]);
    expect(engine.mayFireOn([denied('c', 2)])).toBe(true);
  });

  it('counts each group apart', async () => {
    const engine = engineWith([threeDenied]);
    await detect(engine, [denied('a', 0), denied('b', 1)]);
    expect(engine.mayFireOn([denied('c', 2, 'agent-8'), read('d', 2)])).toBe(false);
  });
});

describe('a sequence rule (a read, then a post)', () => {
  const readThenPost = rule({
    kind: 'sequence',
    params: { first: { field: 'action.type', equals: 'data.read' }, then: { field: 'action.type', equals: 'message.post' }, within: '10m' },
  });
  const post = (id: string, s = 0, principal = 'agent-7') => event({ id, occurred_at: at(s), principal: { id: principal }, action: { type: 'message.post' } });

  it('may not fire on a first step alone, nor on a second step whose principal has none', async () => {
    const engine = engineWith([readThenPost]);
    expect(engine.mayFireOn([read('a')])).toBe(false);
    await detect(engine, [read('a', 0, 'agent-8')]);
    expect(engine.mayFireOn([post('b', 1)])).toBe(false);
  });

  it('may fire on a second step after a first step held, or one in the same batch', async () => {
    const engine = engineWith([readThenPost]);
    expect(engine.mayFireOn([read('a', 0), post('b', 1)])).toBe(true);
    await detect(engine, [read('a', 0)]);
    expect(engine.mayFireOn([post('b', 1)])).toBe(true);
  });
});

describe('a first-seen rule (an agent’s first permission change)', () => {
  const firstGrant = rule({ kind: 'first_seen', params: { when: { field: 'action.type', prefix: 'permission.' }, lookback: '30d' } });
  const grant = (id: string, s: number) => event({ id, occurred_at: at(s), action: { type: 'permission.grant' } });

  it('may fire on a selected event until the rule has sighted an earlier one of its kind', async () => {
    const engine = engineWith([firstGrant]);
    expect(engine.mayFireOn([read('a'), grant('g1', 0)])).toBe(true);
    await detect(engine, [grant('g1', 0)]);
    expect(engine.mayFireOn([grant('g2', 60)])).toBe(false);
    expect(engine.mayFireOn([read('a')])).toBe(false);
  });

  it('may fire again on the event it sighted, evaluated again (a redelivery asks the history)', async () => {
    const engine = engineWith([firstGrant]);
    await detect(engine, [grant('g1', 0)]);
    expect(engine.mayFireOn([grant('g1', 0)])).toBe(true);
  });
});

describe('a permission-widening rule', () => {
  const widening = rule({
    kind: 'permission_widening',
    params: {
      audience: { min_ratio: 10, min_after: 100 },
      scope_levels: [['private'], ['team'], ['org'], ['public']],
      sensitivity_weights: { public: 0, internal: 0, confidential: 2, restricted: 3, unlabelled: 0 },
      points: { audience: 2, per_scope_step: 1 },
      min_score: 2,
    },
  });
  const widen = (id: string, sensitivity: 'internal' | 'restricted', after: number) =>
    event({
      id,
      action: { type: 'permission.grant' },
      resource: { type: 'drive.folder', id: 'f-1', sensitivity },
      permission_change: { grantee: 'group:all', privileges: ['read'], audience_before: 12, audience_after: after, scope_before: 'team', scope_after: 'org' },
    });

  it('may fire exactly where it scores enough: the event carries before and after', async () => {
    const engine = engineWith([widening]);
    for (const [e, fires] of [
      [widen('w1', 'restricted', 40_000), true],
      [widen('w2', 'internal', 40_000), false],
      [read('r'), false],
    ] as const) {
      expect(engine.mayFireOn([e])).toBe(fires);
      expect((await detect(engine, [e])).length > 0).toBe(fires);
    }
  });
});

describe('the engine', () => {
  const deniedRule = rule({ id: 'denied', kind: 'match', params: { when: { field: 'outcome', equals: 'denied' } } });

  it('may fire on nothing in an empty batch, or with no rules', () => {
    expect(engineWith([deniedRule]).mayFireOn([])).toBe(false);
    expect(engineWith([]).mayFireOn([denied('a')])).toBe(false);
  });

  it('takes a rule that throws while judging as one that may fire', () => {
    // A rule that bypassed the schema: group_by is not a list, which only shows on an event it counts.
    const broken = rule({ id: 'broken', kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1m', threshold: 3 } });
    const engine = engineWith([{ ...broken, params: { ...broken.params, group_by: 'principal.id' } } as unknown as Rule]);
    expect(engine.mayFireOn([read('a')])).toBe(false);
    expect(engine.mayFireOn([denied('b')])).toBe(true);
  });

  it('changes no state: judging a batch does not change what evaluating it finds', async () => {
    const threeDenied = rule({ id: 'three', kind: 'threshold', params: { when: { field: 'outcome', equals: 'denied' }, window: '1m', threshold: 3 } });
    const judged = engineWith([threeDenied]);
    const batches = [[denied('a', 0), denied('b', 1)], [denied('c', 2)]];
    for (const b of batches) judged.mayFireOn(b);
    const found = [];
    for (const b of batches) found.push(...(await detect(judged, b)).map((d) => d.trigger_event_id));
    expect(found).toEqual(['c']);
  });
});

describe('with the shipped rules', () => {
  /**
   * Judges each batch just before evaluating it, as ingest does when nothing
   * else is in flight; returns the batches that raised a detection without
   * having been judged "may fire", and how many were judged so.
   */
  async function judgeAndEvaluate(events: AgentAction[], history: AgentAction[], batchSize: number) {
    const { rules } = await loadRules([SHIPPED_RULES_DIR]);
    const engine = new DetectionEngine(rules, { history: new InMemoryActionHistory().record(history) });
    const missed: string[][] = [];
    let urgent = 0;
    let batches = 0;
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      const mayFire = engine.mayFireOn(batch);
      batches++;
      if (mayFire) urgent++;
      const detections = await detect(engine, batch);
      if (detections.length > 0 && !mayFire) missed.push(detections.map((d) => `${d.rule_id} @${d.trigger_event_id}`));
    }
    return { missed, urgent, batches };
  }

  const traffic = benignTraffic({ seed: 20261125, count: 6_000, startMs: T0 });
  /** One event that fires each shipped rule, spread through the traffic (the denials and deletes come as bursts). */
  const agent = { id: 'agent-incident', kind: 'agent' as const };
  const incidents: AgentAction[] = [
    event({ id: 'post', occurred_at: at(300), principal: agent, action: { type: 'message.post', confirmation: { required: true, obtained: false } } }),
    ...Array.from({ length: 10 }, (_, i) => event({ id: `deny-${i}`, occurred_at: at(600 + i), principal: agent, outcome: 'denied' })),
    ...Array.from({ length: 20 }, (_, i) =>
      event({ id: `del-${i}`, occurred_at: at(900 + i), principal: agent, action: { type: 'resource.delete', confirmation: { required: true, obtained: true } }, resource: { type: 'email.message', id: `m-${i}` } }),
    ),
    event({ id: 'purge', occurred_at: at(1000), principal: agent, action: { type: 'mailbox.purge', confirmation: { required: true, obtained: false } } }),
    event({ id: 'sensitive-read', occurred_at: at(1200), principal: agent, resource: { type: 'dataset', id: 'd-1', sensitivity: 'restricted' } }),
    event({ id: 'big-post', occurred_at: at(1260), principal: agent, action: { type: 'message.post' }, attributes: { audience_size: 5_000 } }),
    event({
      id: 'widen',
      occurred_at: at(1500),
      principal: agent,
      action: { type: 'permission.grant' },
      resource: { type: 'drive.folder', id: 'f-1', sensitivity: 'restricted' },
      permission_change: { grantee: 'group:all', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
    }),
  ];
  const mixed = [...traffic.events, ...incidents].sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));

  it.each([1, 25, 500])('never lets a batch that raises a detection wait out the pacing (batches of %i)', async (batchSize) => {
    const { missed } = await judgeAndEvaluate(mixed, traffic.history, batchSize);
    expect(missed).toEqual([]);
  });

  it('raises every kind of detection in that traffic, so the check above is not empty', async () => {
    const { rules } = await loadRules([SHIPPED_RULES_DIR]);
    const fired = new Set((await detect(new DetectionEngine(rules, { history: new InMemoryActionHistory().record(traffic.history) }), mixed)).map((d) => d.rule_id));
    expect([...fired].sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it('lets all but a few benign events be paced (fewer than one in a hundred, one at a time): a burst, a sensitive read’s follow-up or an agent’s new privileged habit may fire', async () => {
    const { urgent, batches } = await judgeAndEvaluate(traffic.events, traffic.history, 1);
    expect(urgent).toBeLessThan(batches / 100);
  });
});
