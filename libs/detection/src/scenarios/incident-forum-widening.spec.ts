import type { AgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import { benignTraffic } from '../testing/benign-traffic.fixture.js';
import { T0, at } from '../testing/event.fixture.js';
import { interleave, replay, tallyByRule } from '../testing/scenario.fixture.js';

/**
 * Incident (a), from the founding brief: an internal agent posted advice on a
 * forum without asking; an engineer followed it and widened access to company
 * and user data. Here: the post needed confirmation and went out without it;
 * 20 minutes later the engineer opens a restricted user-data set from a team
 * of 12 to the whole organisation (40 000 people).
 */
const post: AgentAction = {
  event_id: 'inc-a-post',
  schema_version: '1',
  occurred_at: at(5 * 60),
  tenant: 'acme',
  principal: { id: 'agent-forum-helper', kind: 'agent', display_name: 'Forum helper' },
  agent: { id: 'agent-forum-helper', framework: 'langgraph', on_behalf_of: 'platform-team' },
  action: { type: 'message.post', name: 'reply_to_thread', confirmation: { required: true, obtained: false } },
  resource: { type: 'forum.thread', id: 'eng-forum/4711', name: 'How do I give analytics access to user exports?', sensitivity: 'internal' },
  outcome: 'success',
  source: { system: 'forum-gateway', session_id: 'sess-a' },
  attributes: { audience_size: 2_500 },
};

const widening: AgentAction = {
  event_id: 'inc-a-widen',
  schema_version: '1',
  occurred_at: at(25 * 60),
  tenant: 'acme',
  principal: { id: 'eng-dana', kind: 'human', display_name: 'Dana (engineer)' },
  action: { type: 'permission.grant', name: 'share_dataset' },
  resource: { type: 'warehouse.dataset', id: 'user_exports', sensitivity: 'restricted', owner: 'data-platform' },
  permission_change: {
    grantee: 'group:all-employees',
    privileges: ['read'],
    audience_before: 12,
    audience_after: 40_000,
    scope_before: 'team',
    scope_after: 'org',
  },
  outcome: 'success',
  source: { system: 'warehouse-gateway', ip: '10.1.2.3' },
};

describe('incident replay: forum advice followed by a widening of user data', () => {
  const traffic = benignTraffic({ seed: 4711, count: 6_000, startMs: T0 });

  it('raises exactly the unconfirmed post and the widening, amid 6 000 benign events', async () => {
    const { detections, errorCount } = await replay(interleave(traffic.events, [post, widening]), traffic.history);
    expect(errorCount).toBe(0);
    expect(tallyByRule(detections)).toEqual({
      'action-without-required-confirmation agent-forum-helper': 1,
      'permission-widening-sensitive eng-dana': 1,
    });
  });

  it('describes the widening so that a responder sees the size of the exposure', async () => {
    const { detections } = await replay(interleave(traffic.events, [post, widening]), traffic.history);
    const d = detections.find((x) => x.rule_id === 'permission-widening-sensitive');
    expect(d).toMatchObject({
      severity: 'critical',
      tenant: 'acme',
      principal_id: 'eng-dana',
      group_key: 'permission-widening-sensitive/acme/eng-dana',
      evidence_event_ids: ['inc-a-widen'],
      first_seen: at(25 * 60),
      summary:
        'eng-dana widened restricted warehouse.dataset user_exports to group:all-employees: audience 12 → 40000 (×3333), scope team → org; score 12 ≥ 2',
    });
  });

  it('would also have caught the post as a disclosure had the agent just read restricted data', async () => {
    const read: AgentAction = {
      ...post,
      event_id: 'inc-a-read',
      occurred_at: at(4 * 60),
      action: { type: 'data.read' },
      resource: { type: 'warehouse.dataset', id: 'user_exports', sensitivity: 'restricted' },
      attributes: undefined,
    };
    const { detections } = await replay(interleave(traffic.events, [read, post, widening]), traffic.history);
    expect(tallyByRule(detections)).toEqual({
      'action-without-required-confirmation agent-forum-helper': 1,
      'disclosure-after-sensitive-read agent-forum-helper': 1,
      'permission-widening-sensitive eng-dana': 1,
    });
  });
});
