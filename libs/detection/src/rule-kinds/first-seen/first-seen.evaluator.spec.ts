import { describe, expect, it } from 'vitest';
import { EVALUATION_ERROR } from '../../detection.errors.js';
import { InMemoryActionHistory } from '../../history/in-memory-action-history.js';
import type { ActionHistoryPort } from '../../history/action-history.port.js';
import { detect, engineWith, fired, rule } from '../../testing/engine.fixture.js';
import { at, event } from '../../testing/event.fixture.js';

const DAY = 86_400;

const firstGrant = rule({
  id: 'first-grant',
  kind: 'first_seen',
  params: { when: { field: 'action.type', prefix: 'permission.' }, lookback: '30d' },
});

const grant = (id: string, s: number, resourceType = 'drive.folder', principal = 'agent-7') =>
  event({ id, occurred_at: at(s), principal: { id: principal }, action: { type: 'permission.grant' }, resource: { type: resourceType, id: `${id}-res` } });

describe('first-seen rules', () => {
  it('fire when the history holds no such action by the principal in the lookback, asking for exactly that', async () => {
    const history = new InMemoryActionHistory();
    const [d, ...rest] = await detect(engineWith([firstGrant], history), [grant('g1', 0)]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      rule_id: 'first-grant',
      trigger_event_id: 'g1',
      evidence_event_ids: ['g1'],
      count: 1,
      summary: 'first permission.grant on a drive.folder by agent-7 in 30d: agent agent-7: permission.grant on drive.folder g1-res, success',
    });
    expect(history.queries).toEqual([
      { tenant: 'acme', principalId: 'agent-7', actionType: 'permission.grant', resourceType: 'drive.folder', sinceIso: at(-30 * DAY), beforeIso: at(0) },
    ]);
  });

  it('stay quiet when the principal did it within the lookback', async () => {
    const history = new InMemoryActionHistory().record([grant('old', -29 * DAY)]);
    expect(await detect(engineWith([firstGrant], history), [grant('g1', 0)])).toEqual([]);
  });

  it('fire when the only earlier time is older than the lookback', async () => {
    const history = new InMemoryActionHistory().record([grant('old', -31 * DAY)]);
    expect(fired(await detect(engineWith([firstGrant], history), [grant('g1', 0)]))).toEqual(['first-grant agent-7 @g1']);
  });

  it('treat another resource type, or another principal, as new', async () => {
    const history = new InMemoryActionHistory().record([grant('old', -DAY)]);
    const ds = await detect(engineWith([firstGrant], history), [grant('g1', 0, 'dataset'), grant('g2', 1, 'drive.folder', 'agent-8')]);
    expect(fired(ds)).toEqual(['first-grant agent-7 @g1', 'first-grant agent-8 @g2']);
  });

  it('fire once when the same new action repeats before the store has it', async () => {
    const history = new InMemoryActionHistory();
    const ds = await detect(engineWith([firstGrant], history), [grant('g1', 0), grant('g2', 1), grant('g3', 2)]);
    expect(fired(ds)).toEqual(['first-grant agent-7 @g1']);
    expect(history.queries).toHaveLength(1);
  });

  it('fire again on a redelivered first event, with the same detection id', async () => {
    const engine = engineWith([firstGrant], new InMemoryActionHistory());
    const [a] = await detect(engine, [grant('g1', 0)]);
    const [b] = await detect(engine, [grant('g1', 0)]);
    expect(b.detection_id).toBe(a.detection_id);
  });

  it('record a failing history as an error of this rule and let other rules run', async () => {
    const refused = () => Promise.reject(new Error('clickhouse: connection refused'));
    const broken: ActionHistoryPort = { hasPrior: refused, hasPriorMany: refused };
    const everyGrant = rule({ id: 'every-grant', kind: 'match', params: { when: { field: 'action.type', equals: 'permission.grant' } } });
    const { detections, errors } = await engineWith([firstGrant, everyGrant], broken).evaluate([grant('g1', 0), grant('g2', 1)]);
    expect(fired(detections)).toEqual(['every-grant agent-7 @g1', 'every-grant agent-7 @g2']);
    expect(errors).toEqual([
      {
        code: EVALUATION_ERROR.HISTORY_UNAVAILABLE,
        rule_id: 'first-grant',
        message: 'action history unavailable: clickhouse: connection refused',
        count: 2,
        event_ids: ['g1', 'g2'],
      },
    ]);
  });

  describe('reading the history ahead, while a batch is being inserted', () => {
    it('asks once per key, for its earliest event, all in one read, and evaluation uses those answers', async () => {
      const history = new InMemoryActionHistory();
      const engine = engineWith([firstGrant], history);
      const batch = [grant('g2', 1), grant('g1', 0), grant('g3', 2, 'drive.folder', 'agent-8')];

      engine.prefetch(batch);
      expect(history.queries.map((q) => [q.principalId, q.beforeIso])).toEqual([
        ['agent-7', at(0)],
        ['agent-8', at(2)],
      ]);

      expect(history.reads).toBe(1);

      expect(fired(await detect(engine, batch))).toEqual(['first-grant agent-7 @g1', 'first-grant agent-8 @g3']);
      expect(history.queries).toHaveLength(2);
      expect(history.reads).toBe(1);
    });

    it('finds what evaluation alone would: a principal with earlier history stays quiet', async () => {
      const history = new InMemoryActionHistory().record([grant('old', -DAY)]);
      const engine = engineWith([firstGrant], history);
      engine.prefetch([grant('g1', 0)]);
      expect(await detect(engine, [grant('g1', 0)])).toEqual([]);
      expect(history.queries).toHaveLength(1);
    });

    it('asks again when evaluated if the early read failed', async () => {
      const inner = new InMemoryActionHistory();
      let calls = 0;
      const flaky: ActionHistoryPort = {
        hasPrior: (...args) => (++calls === 1 ? Promise.reject(new Error('clickhouse: too many simultaneous queries')) : inner.hasPrior(...args)),
        hasPriorMany: (questions) => (++calls === 1 ? Promise.reject(new Error('clickhouse: too many simultaneous queries')) : inner.hasPriorMany(questions)),
      };
      const engine = engineWith([firstGrant], flaky);
      engine.prefetch([grant('g1', 0)]);
      const { detections, errors } = await engine.evaluate([grant('g1', 0)]);
      expect(fired(detections)).toEqual(['first-grant agent-7 @g1']);
      expect(errors).toEqual([]);
      expect(calls).toBe(2);
    });

    it('does not ask for events the recent sightings already answer', async () => {
      const history = new InMemoryActionHistory();
      const engine = engineWith([firstGrant], history);
      await detect(engine, [grant('g1', 0)]);
      engine.prefetch([grant('g2', 5)]);
      expect(history.queries).toHaveLength(1);
      expect(await detect(engine, [grant('g2', 5)])).toEqual([]);
    });
  });
});
