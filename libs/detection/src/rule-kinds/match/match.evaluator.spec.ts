import { describe, expect, it } from 'vitest';
import { detect, engineWith, rule } from '../../testing/engine.fixture.js';
import { at, event } from '../../testing/event.fixture.js';

const unconfirmedPost = rule({
  id: 'unconfirmed-post',
  kind: 'match',
  params: {
    when: {
      all: [
        { field: 'action.type', equals: 'message.post' },
        { field: 'action.confirmation.required', equals: true },
        { field: 'action.confirmation.obtained', equals: false },
      ],
    },
  },
});

describe('match rules', () => {
  it('fire once per matching event, citing that event', async () => {
    const post = event({
      id: 'p1',
      occurred_at: at(5),
      principal: { id: 'agent-forum' },
      action: { type: 'message.post', confirmation: { required: true, obtained: false } },
      resource: { type: 'forum.thread', id: 'th-1' },
    });
    const [d, ...rest] = await detect(engineWith([unconfirmedPost]), [post]);
    expect(rest).toEqual([]);
    expect(d).toEqual({
      detection_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      group_key: 'unconfirmed-post/acme/agent-forum',
      rule_id: 'unconfirmed-post',
      rule_kind: 'match',
      severity: 'high',
      title: 'Test match',
      summary: 'agent agent-forum: message.post on forum.thread th-1, success, confirmation required but not obtained',
      tenant: 'acme',
      principal_id: 'agent-forum',
      trigger_event_id: 'p1',
      evidence_event_ids: ['p1'],
      first_seen: at(5),
      last_seen: at(5),
      count: 1,
      auto_contain: false,
    });
  });

  it('stay quiet on the nearest benign neighbour: the confirmation was obtained', async () => {
    const post = event({ id: 'p1', action: { type: 'message.post', confirmation: { required: true, obtained: true } } });
    expect(await detect(engineWith([unconfirmedPost]), [post])).toEqual([]);
  });
});
