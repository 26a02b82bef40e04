import type { AgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import { benignTraffic } from '../testing/benign-traffic.fixture.js';
import { T0, at } from '../testing/event.fixture.js';
import { interleave, replay, tallyByRule } from '../testing/scenario.fixture.js';

/**
 * Incident (b), from the founding brief: a personal agent, told to confirm
 * before acting, deleted a whole inbox. Here: 400 `resource.delete` of
 * `email.message`, one every 300 ms, each requiring confirmation that was
 * never obtained, then a `mailbox.purge`.
 */
const START_S = 10 * 60;
const agent = { id: 'agent-inbox-assistant', kind: 'agent' as const };
const unconfirmed = { required: true, obtained: false };

const deletes: AgentAction[] = Array.from({ length: 400 }, (_, i) => ({
  event_id: `inc-b-del-${i + 1}`,
  schema_version: '1',
  occurred_at: at(START_S + i * 0.3),
  tenant: 'globex',
  principal: agent,
  agent: { id: agent.id, framework: 'custom', on_behalf_of: 'maria@globex.example' },
  action: { type: 'resource.delete', name: 'gmail.delete', confirmation: unconfirmed },
  resource: { type: 'email.message', id: `msg-${100_000 + i}`, sensitivity: 'confidential', owner: 'maria@globex.example' },
  outcome: 'success',
  source: { system: 'mail-gateway', session_id: 'sess-b' },
}));

const purge: AgentAction = {
  ...deletes[0],
  event_id: 'inc-b-purge',
  occurred_at: at(START_S + 125),
  action: { type: 'mailbox.purge', name: 'gmail.empty_trash', confirmation: unconfirmed },
  resource: { type: 'mailbox', id: 'maria@globex.example/trash', sensitivity: 'confidential' },
};

describe('incident replay: an agent told to confirm deletes a whole inbox', () => {
  const traffic = benignTraffic({ seed: 1337, count: 6_000, startMs: T0 });
  const run = () => replay(interleave(traffic.events, deletes, [purge]), traffic.history);

  it('flags every unconfirmed destructive action and the burst once, amid 6 000 benign events', async () => {
    const { detections, errorCount } = await run();
    expect(errorCount).toBe(0);
    expect(tallyByRule(detections)).toEqual({
      'destructive-action-without-confirmation agent-inbox-assistant': 401,
      'mass-deletion-burst agent-inbox-assistant': 1,
    });
  });

  it('raises the burst on the 20th delete, within six seconds of the first, marked for containment', async () => {
    const { detections } = await run();
    const burst = detections.find((d) => d.rule_id === 'mass-deletion-burst');
    expect(burst).toMatchObject({
      severity: 'high',
      auto_contain: true,
      tenant: 'globex',
      trigger_event_id: 'inc-b-del-20',
      evidence_event_ids: deletes.slice(0, 20).map((e) => e.event_id),
      first_seen: at(START_S),
      last_seen: at(START_S + 19 * 0.3),
      count: 20,
      summary: '20 matching events within 1m for principal.id=agent-inbox-assistant (resource.delete ×20)',
    });
  });

  it('groups all 401 destructive-action detections under one key for alerting', async () => {
    const { detections } = await run();
    const keys = new Set(detections.filter((d) => d.rule_id === 'destructive-action-without-confirmation').map((d) => d.group_key));
    expect([...keys]).toEqual(['destructive-action-without-confirmation/globex/agent-inbox-assistant']);
  });
});
