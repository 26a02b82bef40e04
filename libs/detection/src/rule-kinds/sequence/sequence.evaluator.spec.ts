import { describe, expect, it } from 'vitest';
import { detect, engineWith, fired, rule } from '../../testing/engine.fixture.js';
import { at, event } from '../../testing/event.fixture.js';

const readThenPost = rule({
  id: 'read-then-post',
  kind: 'sequence',
  params: {
    first: { all: [{ field: 'action.type', equals: 'data.read' }, { field: 'resource.sensitivity', equals: 'restricted' }] },
    then: { field: 'action.type', equals: 'message.post' },
    within: '10m',
  },
});

const read = (id: string, s: number, principal = 'agent-7') =>
  event({ id, occurred_at: at(s), principal: { id: principal }, resource: { type: 'dataset', id: 'users', sensitivity: 'restricted' } });
const post = (id: string, s: number, principal = 'agent-7') =>
  event({ id, occurred_at: at(s), principal: { id: principal }, action: { type: 'message.post' }, resource: { type: 'forum.thread', id: 'th-1' } });

describe('sequence rules', () => {
  it('fire on B when the same principal did A within T, citing A and B', async () => {
    const [d, ...rest] = await detect(engineWith([readThenPost]), [read('a1', 0), post('b1', 599)]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      rule_id: 'read-then-post',
      trigger_event_id: 'b1',
      evidence_event_ids: ['a1', 'b1'],
      first_seen: at(0),
      last_seen: at(599),
      count: 2,
      summary:
        'within 10m: first agent agent-7: data.read on dataset users (restricted), success; then agent agent-7: message.post on forum.thread th-1, success',
    });
  });

  it('stay quiet when B comes T or more after A', async () => {
    expect(await detect(engineWith([readThenPost]), [read('a1', 0), post('b1', 600)])).toEqual([]);
  });

  it('stay quiet when B comes before A', async () => {
    expect(await detect(engineWith([readThenPost]), [post('b1', 0), read('a1', 1)])).toEqual([]);
  });

  it('stay quiet when A and B are by different principals', async () => {
    expect(await detect(engineWith([readThenPost]), [read('a1', 0, 'agent-x'), post('b1', 10, 'agent-y')])).toEqual([]);
  });

  it('fire on each B while an A is in reach, citing every A in reach', async () => {
    const ds = await detect(engineWith([readThenPost]), [read('a1', 0), read('a2', 60), post('b1', 120), post('b2', 650)]);
    expect(ds.map((d) => [d.trigger_event_id, d.evidence_event_ids])).toEqual([
      ['b1', ['a1', 'a2', 'b1']],
      ['b2', ['a2', 'b2']],
    ]);
  });

  it('never pair an event with itself when it matches both A and B', async () => {
    const anyThenAny = rule({
      id: 'any-then-any',
      kind: 'sequence',
      params: { first: { field: 'outcome', equals: 'success' }, then: { field: 'outcome', equals: 'success' }, within: '1m' },
    });
    expect(fired(await detect(engineWith([anyThenAny]), [event({ id: 'x1', occurred_at: at(0) }), event({ id: 'x2', occurred_at: at(1) })]))).toEqual([
      'any-then-any agent-7 @x2',
    ]);
  });
});
