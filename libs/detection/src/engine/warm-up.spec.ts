import type { AgentAction } from '@warden/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Detection } from '../detection/detection.schema.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import { loadRules } from '../rules/rule-loader.js';
import type { Rule } from '../rules/rule.schema.js';
import { SHIPPED_RULES_DIR, interleave } from '../testing/scenario.fixture.js';
import { benignTraffic } from '../testing/benign-traffic.fixture.js';
import { T0, at, event } from '../testing/event.fixture.js';
import { DetectionEngine } from './detection-engine.js';

/**
 * Window state must survive a restart. The engine holds no state that is not
 * a function of recent events, so replaying the last `lookback().max_ms` of
 * stored events through warmUp must give the same detections, byte for byte,
 * as if the process had never stopped.
 */

const min = 60;
const agent = (id: string) => ({ id, kind: 'agent' as const });
const unconfirmed = { required: true, obtained: false };

const attack: AgentAction[] = [
  event({ id: 'fs-1', occurred_at: at(4 * min), principal: agent('agent-x'), action: { type: 'role.assign' }, resource: { type: 'iam.role', id: 'admin' } }),
  ...Array.from({ length: 60 }, (_, i) =>
    event({ id: `del-${i + 1}`, occurred_at: at(5 * min + i), principal: agent('agent-inbox'), action: { type: 'resource.delete', confirmation: unconfirmed }, resource: { type: 'email.message', id: `m${i}` } }),
  ),
  event({ id: 'read-1', occurred_at: at(6 * min), principal: agent('agent-leaky'), action: { type: 'data.read' }, resource: { type: 'dataset', id: 'payroll', sensitivity: 'restricted' } }),
  ...Array.from({ length: 12 }, (_, i) =>
    event({ id: `deny-${i + 1}`, occurred_at: at(7 * min + 2 * i), principal: agent('agent-probe'), action: { type: 'tool.call' }, resource: { type: 'api', id: `e${i}` }, outcome: 'denied' }),
  ),
  event({ id: 'post-1', occurred_at: at(9 * min), principal: agent('agent-leaky'), action: { type: 'message.post' }, resource: { type: 'chat.channel', id: 'all-hands', sensitivity: 'internal' }, attributes: { audience_size: 900 } }),
  event({ id: 'fs-2', occurred_at: at(10 * min), principal: agent('agent-x'), action: { type: 'role.assign' }, resource: { type: 'iam.role', id: 'billing' } }),
];

const traffic = benignTraffic({ seed: 99, count: 3_000, startMs: T0 });
const stream = interleave(traffic.events, attack);
const indexOf = (id: string) => stream.findIndex((e) => e.event_id === id);

let rules: Rule[];
beforeAll(async () => {
  rules = (await loadRules([SHIPPED_RULES_DIR])).rules;
});

/** The store holds every event (ClickHouse is written before or alongside detection). */
const storeHistory = () => new InMemoryActionHistory().record([...traffic.history, ...stream]);

async function evaluateInBatches(engine: DetectionEngine, events: AgentAction[], size = 200): Promise<Detection[]> {
  const out: Detection[] = [];
  for (let i = 0; i < events.length; i += size) {
    const { detections, errors } = await engine.evaluate(events.slice(i, i + size));
    expect(errors).toEqual([]);
    out.push(...detections);
  }
  return out;
}

/** What an engine that never stopped reports for events from `split` on. */
async function uninterrupted(split: number): Promise<Detection[]> {
  const engine = new DetectionEngine(rules, { history: storeHistory() });
  await evaluateInBatches(engine, stream.slice(0, split));
  return evaluateInBatches(engine, stream.slice(split));
}

/** A fresh engine that replays the stored lookback, then goes live at `split` (live delivery may overlap the replay by `overlap`). */
async function restarted(split: number, overlap = 0): Promise<{ detections: Detection[]; replayed: number }> {
  const engine = new DetectionEngine(rules, { history: storeHistory() });
  const resumeAtMs = Date.parse(stream[split].occurred_at);
  const from = resumeAtMs - engine.lookback().max_ms;
  const stored = stream.slice(0, split + overlap).filter((e) => Date.parse(e.occurred_at) >= from);
  const { replayed, errors } = await engine.warmUp(stored);
  expect(errors).toEqual([]);
  return { detections: await evaluateInBatches(engine, stream.slice(split)), replayed };
}

describe('rebuilding window state after a restart', () => {
  it('needs the longest window of the shipped rules: 10 minutes (disclosure-after-sensitive-read)', () => {
    expect(new DetectionEngine(rules, { history: storeHistory() }).lookback().max_ms).toBe(10 * 60_000);
  });

  const fired = (ds: Detection[]) => ds.map((d) => `${d.rule_id} @${d.trigger_event_id}`);
  const destructive = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `destructive-action-without-confirmation @del-${from + i}`);
  const after = ['denied-action-storm @deny-10', 'disclosure-after-sensitive-read @post-1'];

  it.each([
    ['mid-way through the deletion burst', 'del-11', [...destructive(11, 19), 'destructive-action-without-confirmation @del-20', 'mass-deletion-burst @del-20', ...destructive(21, 60), ...after]],
    ['after the burst fired, while deletes continue', 'del-40', [...destructive(40, 60), ...after]],
    ['between the sensitive read and the post', 'deny-1', after],
    ['in the middle of the denied storm', 'deny-6', after],
    ['between the two first-seen candidates (the second is not new)', 'fs-2', []],
  ])('gives the same detections as uninterrupted processing when restarted %s', async (_where, id, expectedFired) => {
    const split = indexOf(id);
    const expected = await uninterrupted(split);
    expect(fired(expected)).toEqual(expectedFired);
    const { detections } = await restarted(split);
    expect(detections).toEqual(expected);
  });

  it('is not fooled when live delivery overlaps the replay (events counted once, same detection ids)', async () => {
    const split = indexOf('del-11');
    const { detections } = await restarted(split, 40);
    expect(detections).toEqual(await uninterrupted(split));
  });

  it('matters: a cold engine re-raises a burst that had already fired', async () => {
    const split = indexOf('del-40');
    const cold = new DetectionEngine(rules, { history: storeHistory() });
    const coldFired = fired(await evaluateInBatches(cold, stream.slice(split)));
    const warmFired = fired(await uninterrupted(split));
    expect(coldFired.filter((x) => !warmFired.includes(x))).toEqual(['mass-deletion-burst @del-59']);
  });

  it('matters: a cold engine misses a disclosure whose first step came before the restart', async () => {
    const split = indexOf('deny-1');
    const cold = new DetectionEngine(rules, { history: storeHistory() });
    expect(fired(await evaluateInBatches(cold, stream.slice(split)))).toEqual(['denied-action-storm @deny-10']);
  });

  it('finds nothing and asks the history port nothing while warming up', async () => {
    const history = storeHistory();
    const engine = new DetectionEngine(rules, { history });
    const result = await engine.warmUp(stream.slice(0, indexOf('post-1') + 1));
    expect(result).toEqual({ replayed: indexOf('post-1') + 1, errors: [] });
    expect(history.queries).toEqual([]);
  });
});
