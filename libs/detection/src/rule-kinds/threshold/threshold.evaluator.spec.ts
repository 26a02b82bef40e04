import { describe, expect, it } from 'vitest';
import { detect, engineWith, fired, rule } from '../../testing/engine.fixture.js';
import { at, event } from '../../testing/event.fixture.js';

const deletes = (n: number, opts: { from?: number; every?: number; principal?: string; prefix?: string; tenant?: string } = {}) =>
  Array.from({ length: n }, (_, i) =>
    event({
      id: `${opts.prefix ?? 'd'}${i + 1}`,
      tenant: opts.tenant ?? 'acme',
      occurred_at: at((opts.from ?? 0) + i * (opts.every ?? 1)),
      principal: { id: opts.principal ?? 'agent-7' },
      action: { type: 'resource.delete' },
      resource: { type: 'email.message', id: `msg-${opts.prefix ?? 'd'}${i + 1}` },
    }),
  );

const burst = rule({
  id: 'burst',
  kind: 'threshold',
  params: { when: { field: 'action.type', equals: 'resource.delete' }, window: '60s', threshold: 5 },
});

describe('threshold rules, counting', () => {
  it('fire on the event that brings the window to the threshold, with every counted event as evidence', async () => {
    const [d, ...rest] = await detect(engineWith([burst]), deletes(5, { every: 10 }));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      rule_id: 'burst',
      principal_id: 'agent-7',
      trigger_event_id: 'd5',
      evidence_event_ids: ['d1', 'd2', 'd3', 'd4', 'd5'],
      first_seen: at(0),
      last_seen: at(40),
      count: 5,
      summary: '5 matching events within 1m for principal.id=agent-7 (resource.delete ×5)',
    });
  });

  it('stay quiet one short of the threshold', async () => {
    expect(await detect(engineWith([burst]), deletes(4))).toEqual([]);
  });

  it('stay quiet when the same count is spread wider than the window (half-open: 60 s apart is outside)', async () => {
    expect(await detect(engineWith([burst]), deletes(5, { every: 15 }))).toEqual([]);
  });

  it('fire once for a sustained burst, and again only after it subsides and resumes', async () => {
    const first = deletes(30, { every: 1 });
    const second = deletes(5, { from: 200, every: 1, prefix: 'again' });
    expect(fired(await detect(engineWith([burst]), [...first, ...second]))).toEqual(['burst agent-7 @d5', 'burst agent-7 @again5']);
  });

  it('count each principal, and each tenant, on its own', async () => {
    const events = [...deletes(3, { principal: 'a' }), ...deletes(3, { principal: 'b', prefix: 'b' }), ...deletes(3, { principal: 'a', tenant: 'other', prefix: 'o' })];
    expect(await detect(engineWith([burst]), events)).toEqual([]);
  });

  it('count a redelivered event once', async () => {
    const four = deletes(4);
    expect(await detect(engineWith([burst]), [...four, ...four])).toEqual([]);
  });

  it('group by the fields named in group_by', async () => {
    const perResource = rule({
      id: 'per-resource',
      kind: 'threshold',
      params: { when: { field: 'outcome', equals: 'denied' }, group_by: ['resource.id'], window: '60s', threshold: 3 },
    });
    const denied = (id: string, principal: string, resource: string) => event({ id, principal: { id: principal }, resource: { id: resource }, outcome: 'denied' });
    const ds = await detect(engineWith([perResource]), [denied('x1', 'p1', 'db'), denied('x2', 'p2', 'db'), denied('x3', 'p3', 'other'), denied('x4', 'p4', 'db')]);
    expect(ds.map((d) => [d.principal_id, d.evidence_event_ids, d.summary])).toEqual([
      ['p4', ['x1', 'x2', 'x4'], '3 matching events within 1m for resource.id=db (data.read ×3)'],
    ]);
  });
});

describe('threshold rules, distinct counting', () => {
  const manyDocs = rule({
    id: 'many-docs',
    kind: 'threshold',
    params: { when: { field: 'action.type', equals: 'data.read' }, window: '10m', threshold: 3, distinct: 'resource.id' },
  });
  const read = (id: string, doc: string, s: number) => event({ id, occurred_at: at(s), resource: { id: doc } });

  it('fire when the third distinct value appears, citing the latest event of each value', async () => {
    const ds = await detect(engineWith([manyDocs]), [read('r1', 'a', 0), read('r2', 'a', 1), read('r3', 'b', 2), read('r4', 'b', 3), read('r5', 'c', 4)]);
    expect(ds.map((d) => [d.trigger_event_id, d.evidence_event_ids, d.count, d.summary])).toEqual([
      ['r5', ['r2', 'r4', 'r5'], 3, '3 distinct resource.id within 10m for principal.id=agent-7'],
    ]);
  });

  it('stay quiet on many events with only two distinct values', async () => {
    const events = Array.from({ length: 50 }, (_, i) => read(`r${i}`, i % 2 === 0 ? 'a' : 'b', i));
    expect(await detect(engineWith([manyDocs]), events)).toEqual([]);
  });

  it('ignore events that lack the distinct field', async () => {
    const noSensitivity = rule({
      id: 'by-sensitivity',
      kind: 'threshold',
      params: { when: { field: 'action.type', equals: 'data.read' }, window: '10m', threshold: 2, distinct: 'resource.sensitivity' },
    });
    const ds = await detect(engineWith([noSensitivity]), [read('r1', 'a', 0), read('r2', 'b', 1), event({ id: 'r3', resource: { sensitivity: 'internal' } })]);
    expect(ds).toEqual([]);
  });
});

describe('threshold memory', () => {
  it('holds no more than the window needs, and nothing once the window has passed', async () => {
    const engine = engineWith([burst], undefined, { sweepGraceMs: 0 });
    await detect(engine, deletes(1_000, { every: 1 }));
    expect(engine.stateSize()).toEqual({ burst: 60 });
    await detect(engine, [event({ id: 'later', occurred_at: at(5_000) })]);
    expect(engine.stateSize()).toEqual({ burst: 0 });
  });

  it('caps entries per key', async () => {
    const engine = engineWith([burst], undefined, { maxEntriesPerKey: 10 });
    await detect(engine, deletes(50, { every: 0.01 }));
    expect(engine.stateSize()).toEqual({ burst: 10 });
  });
});
