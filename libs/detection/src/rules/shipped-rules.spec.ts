import type { AgentAction, Sensitivity } from '@warden/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import { detect, engineWith, fired } from '../testing/engine.fixture.js';
import { at, event } from '../testing/event.fixture.js';
import { SHIPPED_RULES_DIR } from '../testing/scenario.fixture.js';
import { loadRules, type RuleSet } from './rule-loader.js';
import type { Rule } from './rule.schema.js';

let shipped: RuleSet;
beforeAll(async () => {
  shipped = await loadRules([SHIPPED_RULES_DIR]);
});

/** Every shipped rule at once, so each case also shows that no other rule fires on it. */
const run = async (events: AgentAction[], history = new InMemoryActionHistory()) => fired(await detect(engineWith(shipped.rules, history), events));

const agent = { id: 'agent-7', kind: 'agent' as const };
const human = { id: 'eng-1', kind: 'human' as const };

describe('the shipped rule set', () => {
  it('loads without errors, each rule with a severity and a one-line rationale', () => {
    expect(shipped.errors).toEqual([]);
    expect(shipped.rules.map((r: Rule) => [r.id, r.kind, r.severity, r.auto_contain])).toEqual([
      ['action-without-required-confirmation', 'match', 'medium', false],
      ['denied-action-storm', 'threshold', 'medium', false],
      ['destructive-action-without-confirmation', 'match', 'high', true],
      ['disclosure-after-sensitive-read', 'sequence', 'high', false],
      ['first-seen-privileged-agent-action', 'first_seen', 'medium', false],
      ['mass-deletion-burst', 'threshold', 'high', true],
      ['permission-widening-sensitive', 'permission_widening', 'critical', false],
    ]);
    for (const r of shipped.rules) expect(r.rationale).toMatch(/^[^\n]{20,}$/);
  });
});

describe('permission-widening-sensitive', () => {
  const widen = (id: string, sensitivity: Sensitivity, before: number, after: number, scopes: [string, string], outcome: AgentAction['outcome'] = 'success') =>
    event({
      id,
      principal: human,
      action: { type: 'permission.grant' },
      resource: { type: 'dataset', id: 'user-data', sensitivity },
      permission_change: { grantee: 'group:all-employees', privileges: ['read'], audience_before: before, audience_after: after, scope_before: scopes[0], scope_after: scopes[1] },
      outcome,
    });

  it('fires on restricted data opened from 12 people to 40 000, team → org', async () => {
    expect(await run([widen('w1', 'restricted', 12, 40_000, ['team', 'org'])])).toEqual(['permission-widening-sensitive eng-1 @w1']);
  });

  it('fires on confidential data moved one scope up without an audience jump', async () => {
    expect(await run([widen('w1', 'confidential', 8, 8, ['team', 'department'])])).toEqual(['permission-widening-sensitive eng-1 @w1']);
  });

  it('stays quiet on the same widening of a public or internal resource', async () => {
    expect(await run([widen('w1', 'public', 12, 40_000, ['team', 'org']), widen('w2', 'internal', 12, 40_000, ['team', 'org'])])).toEqual([]);
  });

  it('stays quiet on a small widening of restricted data (12 → 15 people, same scope)', async () => {
    expect(await run([widen('w1', 'restricted', 12, 15, ['team', 'group'])])).toEqual([]);
  });

  it('stays quiet when the change was denied', async () => {
    expect(await run([widen('w1', 'restricted', 12, 40_000, ['team', 'org'], 'denied')])).toEqual([]);
  });
});

describe('destructive-action-without-confirmation', () => {
  const destroy = (id: string, type: string, obtained: boolean, principal: AgentAction['principal'] = agent, outcome: AgentAction['outcome'] = 'success') =>
    event({ id, principal, action: { type, confirmation: { required: true, obtained } }, resource: { type: 'email.message', id: `m-${id}` }, outcome });

  it('fires on a delete, a purge and a bulk update the agent was required to confirm and did not', async () => {
    expect(await run([destroy('x1', 'resource.delete', false), destroy('x2', 'mailbox.purge', false), destroy('x3', 'crm.bulk_update', false)])).toEqual([
      'destructive-action-without-confirmation agent-7 @x1',
      'destructive-action-without-confirmation agent-7 @x2',
      'destructive-action-without-confirmation agent-7 @x3',
    ]);
  });

  it('marks its detections for automatic containment', async () => {
    const [d] = await detect(engineWith(shipped.rules), [destroy('x1', 'resource.delete', false)]);
    expect([d.severity, d.auto_contain]).toEqual(['high', true]);
  });

  it('stays quiet when the confirmation was obtained', async () => {
    expect(await run([destroy('x1', 'resource.delete', true)])).toEqual([]);
  });

  it('stays quiet when the delete was denied, or done by a human', async () => {
    expect(await run([destroy('x1', 'resource.delete', false, agent, 'denied'), destroy('x2', 'resource.delete', false, human)])).toEqual([]);
  });
});

describe('action-without-required-confirmation', () => {
  const post = (id: string, obtained: boolean) =>
    event({ id, principal: agent, action: { type: 'message.post', confirmation: { required: true, obtained } }, resource: { type: 'forum.thread', id: 't1', sensitivity: 'internal' } });

  it('fires on a post the agent was required to confirm and did not', async () => {
    expect(await run([post('p1', false)])).toEqual(['action-without-required-confirmation agent-7 @p1']);
  });

  it('stays quiet when the confirmation was obtained', async () => {
    expect(await run([post('p1', true)])).toEqual([]);
  });
});

describe('mass-deletion-burst', () => {
  const deletes = (n: number, everySeconds: number) =>
    Array.from({ length: n }, (_, i) =>
      event({ id: `d${i + 1}`, occurred_at: at(i * everySeconds), principal: agent, action: { type: 'resource.delete' }, resource: { type: 'email.message', id: `m${i}` } }),
    );

  it('fires once, on the 20th delete inside a minute', async () => {
    expect(await run(deletes(20, 3))).toEqual(['mass-deletion-burst agent-7 @d20']);
  });

  it('stays quiet on 19 deletes', async () => {
    expect(await run(deletes(19, 1))).toEqual([]);
  });

  it('stays quiet on 20 deletes spread over two minutes', async () => {
    expect(await run(deletes(20, 6))).toEqual([]);
  });

  it('does not count deletes that failed', async () => {
    const failed = deletes(20, 1).map((e, i) => (i === 0 ? { ...e, outcome: 'failure' as const } : e));
    expect(await run(failed)).toEqual([]);
  });
});

describe('disclosure-after-sensitive-read', () => {
  const read = (id: string, s: number, sensitivity: Sensitivity = 'restricted') =>
    event({ id, occurred_at: at(s), principal: agent, action: { type: 'data.read' }, resource: { type: 'dataset', id: 'customers', sensitivity } });
  const post = (id: string, s: number, audience: number) =>
    event({ id, occurred_at: at(s), principal: agent, action: { type: 'message.post' }, resource: { type: 'chat.channel', id: 'general', sensitivity: 'internal' }, attributes: { audience_size: audience } });

  it('fires on a post to 2 500 people five minutes after reading restricted data', async () => {
    expect(await run([read('r1', 0), post('p1', 300, 2_500)])).toEqual(['disclosure-after-sensitive-read agent-7 @p1']);
  });

  it('fires on a share to a stated audience of 150', async () => {
    const share = event({
      id: 's1',
      occurred_at: at(60),
      principal: agent,
      action: { type: 'drive.share' },
      resource: { type: 'drive.file', id: 'f1', sensitivity: 'internal' },
      permission_change: { grantee: 'group:sales', privileges: ['read'], audience_before: 3, audience_after: 150 },
    });
    // The agent has shared files before, so the first-seen rule has nothing to say.
    const history = new InMemoryActionHistory().record([{ ...share, event_id: 'earlier', occurred_at: at(-86_400) }]);
    expect(await run([read('r1', 0, 'confidential'), share], history)).toEqual(['disclosure-after-sensitive-read agent-7 @s1']);
  });

  it('stays quiet on a small-audience post', async () => {
    expect(await run([read('r1', 0), post('p1', 300, 12)])).toEqual([]);
  });

  it('stays quiet when the post comes more than 10 minutes later', async () => {
    expect(await run([read('r1', 0), post('p1', 601, 2_500)])).toEqual([]);
  });

  it('stays quiet when the data read was only internal', async () => {
    expect(await run([read('r1', 0, 'internal'), post('p1', 300, 2_500)])).toEqual([]);
  });
});

describe('first-seen-privileged-agent-action', () => {
  const grant = (id: string, s: number, principal: AgentAction['principal'] = agent) =>
    event({ id, occurred_at: at(s), principal, action: { type: 'role.assign' }, resource: { type: 'iam.role', id: 'billing-admin' } });

  it('fires on an agent assigning a role for the first time in 30 days', async () => {
    const history = new InMemoryActionHistory().record([grant('long-ago', -31 * 86_400)]);
    expect(await run([grant('g1', 0)], history)).toEqual(['first-seen-privileged-agent-action agent-7 @g1']);
  });

  it('stays quiet when the agent did it ten days ago', async () => {
    const history = new InMemoryActionHistory().record([grant('recent', -10 * 86_400)]);
    expect(await run([grant('g1', 0)], history)).toEqual([]);
  });

  it('stays quiet for a human doing it for the first time', async () => {
    expect(await run([grant('g1', 0, human)])).toEqual([]);
  });
});

describe('denied-action-storm', () => {
  const denied = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      event({ id: `n${i + 1}`, occurred_at: at(i * 5), principal: agent, action: { type: 'tool.call' }, resource: { type: 'api', id: `endpoint-${i}` }, outcome: 'denied' }),
    );

  it('fires on the 10th denial inside a minute', async () => {
    expect(await run(denied(10))).toEqual(['denied-action-storm agent-7 @n10']);
  });

  it('stays quiet on 9 denials', async () => {
    expect(await run(denied(9))).toEqual([]);
  });
});
