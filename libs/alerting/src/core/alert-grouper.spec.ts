import { MAX_EVIDENCE_IDS } from '@warden/detection';
import { describe, expect, it } from 'vitest';
import { alertingConfig, at, CONSOLE_URL, detection, ROUTING_KEY, T0, WEBHOOK_SECRET, type DetectionOverrides } from '../testing/alerting.fixtures.js';
import { AlertGrouper, type DetectionDecision } from './alert-grouper.js';
import { alertIdFor, dedupKeyFor, deliveryIdFor } from './alert-ids.js';
import type { AlertState } from './alert.model.js';

const SINKS = [
  { name: 'pd', type: 'pagerduty', routing_key: ROUTING_KEY },
  { name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/a' },
  { name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET },
] as const;

const MINUTE = 60_000;

function grouper(throttle: { max_notifications_per_window?: number; max_pagerduty_updates_per_window?: number } = {}) {
  return new AlertGrouper(alertingConfig({ sinks: [...SINKS], grouping: { window: '5m' }, throttle }));
}

/** Feeds detections in order, each at its own time; returns every decision. */
function run(g: AlertGrouper, steps: { at: number; d: DetectionOverrides }[], start: AlertState | null = null): DetectionDecision[] {
  let state = start;
  return steps.map(({ at: nowMs, d }) => {
    const decision = g.decide(state, detection(d), nowMs);
    state = decision.alert;
    return decision;
  });
}

const sent = (d: DetectionDecision) => d.notifications.map((n) => `${n.action}:${n.sink}`);

describe('AlertGrouper: grouping', () => {
  it('opens an alert on a group\'s first detection and notifies every routed sink', () => {
    const [first] = run(grouper(), [{ at: T0, d: { trigger: 'e1' } }]);
    const group = detection({ trigger: 'e1' }).group_key;
    expect(first.kind).toBe('opened');
    expect(first.outcome).toBe('notified');
    expect(sent(first)).toEqual(['trigger:pd', 'trigger:slack', 'trigger:hook']);
    expect(first.alert).toMatchObject({
      alert_id: alertIdFor(group, 1),
      dedup_key: dedupKeyFor(group),
      episode: 1,
      revision: 1,
      status: 'open',
      count: 1,
      event_count: 40,
      notifications: 1,
      suppressed: 0,
      notified_sinks: ['pd', 'slack', 'hook'],
    });
    expect(first.notifications[1]).toEqual({
      delivery_id: deliveryIdFor('slack', 'trigger', detection({ trigger: 'e1' }).detection_id),
      sink: 'slack',
      sink_type: 'slack',
      action: 'trigger',
      notification: expect.objectContaining({
        action: 'trigger',
        count: 1,
        detection_id: detection({ trigger: 'e1' }).detection_id,
        console_link: `${CONSOLE_URL}/detections/${detection({ trigger: 'e1' }).detection_id}`,
        decided_at_ms: T0,
      }),
    });
  });

  it('three detections of one group within the window: one Slack/webhook notification, count 3, suppressed 2; PagerDuty re-triggered each time', () => {
    const decisions = run(grouper(), [
      { at: T0, d: { trigger: 'e1' } },
      { at: T0 + MINUTE, d: { trigger: 'e2' } },
      { at: T0 + 2 * MINUTE, d: { trigger: 'e3' } },
    ]);
    expect(decisions.map((d) => [d.kind, d.outcome, sent(d), d.suppressed_sinks])).toEqual([
      ['opened', 'notified', ['trigger:pd', 'trigger:slack', 'trigger:hook'], []],
      ['grouped', 'suppressed', ['trigger:pd'], ['slack', 'hook']],
      ['grouped', 'suppressed', ['trigger:pd'], ['slack', 'hook']],
    ]);
    const last = decisions[2];
    expect(last.alert).toMatchObject({ count: 3, event_count: 120, notifications: 1, suppressed: 2, revision: 3, window_start_ms: T0 });
    // Every PagerDuty trigger carries the same dedup_key and the running count.
    expect(decisions.map((d) => [d.notifications[0].notification.dedup_key, d.notifications[0].notification.count])).toEqual([
      [dedupKeyFor(last.alert.group_key), 1],
      [dedupKeyFor(last.alert.group_key), 2],
      [dedupKeyFor(last.alert.group_key), 3],
    ]);
    expect(new Set(decisions.map((d) => d.alert.alert_id)).size).toBe(1);
  });

  it('after the window, the next detection notifies again with the running count and starts a new window', () => {
    const decisions = run(grouper(), [
      { at: T0, d: { trigger: 'e1' } },
      { at: T0 + 4 * MINUTE, d: { trigger: 'e2' } },
      { at: T0 + 5 * MINUTE, d: { trigger: 'e3' } },
      { at: T0 + 6 * MINUTE, d: { trigger: 'e4' } },
    ]);
    expect(decisions.map((d) => [d.outcome, sent(d).length])).toEqual([
      ['notified', 3],
      ['suppressed', 1],
      ['notified', 3],
      ['suppressed', 1],
    ]);
    expect(decisions[2].notifications[1].notification.count).toBe(3);
    expect(decisions[3].alert).toMatchObject({ count: 4, notifications: 2, suppressed: 2, window_start_ms: T0 + 5 * MINUTE, window_notifications: 1 });
  });

  it('the throttle allows max_notifications_per_window Slack/webhook notifications per window', () => {
    const decisions = run(
      grouper({ max_notifications_per_window: 2 }),
      ['e1', 'e2', 'e3', 'e4'].map((trigger, i) => ({ at: T0 + i * 1000, d: { trigger } })),
    );
    expect(decisions.map((d) => d.outcome)).toEqual(['notified', 'notified', 'suppressed', 'suppressed']);
    expect(decisions[3].alert).toMatchObject({ count: 4, notifications: 2, suppressed: 2 });
  });

  it('caps PagerDuty re-triggers per window at max_pagerduty_updates_per_window', () => {
    const decisions = run(
      grouper({ max_pagerduty_updates_per_window: 2 }),
      ['e1', 'e2', 'e3'].map((trigger, i) => ({ at: T0 + i * 1000, d: { trigger } })),
    );
    expect(decisions.map(sent)).toEqual([['trigger:pd', 'trigger:slack', 'trigger:hook'], ['trigger:pd'], []]);
    expect(decisions[2].suppressed_sinks).toEqual(['pd', 'slack', 'hook']);
    expect(decisions[2].alert.window_pagerduty_updates).toBe(2);
  });

  it('counts an unrouted detection in its alert without notifying anyone', () => {
    const g = new AlertGrouper(alertingConfig({ sinks: [{ name: 'pd', type: 'pagerduty', routing_key: ROUTING_KEY, min_severity: 'critical' }] }));
    const [only] = run(g, [{ at: T0, d: { trigger: 'e1', severity: 'medium' } }]);
    expect(only.outcome).toBe('unrouted');
    expect(only.notifications).toEqual([]);
    expect(only.alert).toMatchObject({ count: 1, notifications: 0, suppressed: 0, notified_sinks: [] });
  });

  it('keeps the time span, the highest severity, the latest text and the most recent evidence', () => {
    const many = Array.from({ length: MAX_EVIDENCE_IDS }, (_, i) => `bulk-${i}`);
    const [, second] = run(grouper(), [
      { at: T0, d: { trigger: 'e1', severity: 'medium', first_seen: at(10), last_seen: at(20), evidence_event_ids: ['x', 'e1'] } },
      { at: T0 + 1000, d: { trigger: 'e2', severity: 'low', first_seen: '2026-11-24T10:00:05+01:00', last_seen: at(15), title: 'Later title', evidence_event_ids: [...many.slice(1), 'x'] } },
    ]);
    expect(second.alert).toMatchObject({ severity: 'medium', title: 'Later title', first_seen: at(5).replace('.000', ''), last_seen: at(20).replace('.000', '') });
    // The old "x" moved to the end (most recent); "e1" fell off the cap.
    expect(second.alert.evidence_event_ids).toHaveLength(MAX_EVIDENCE_IDS);
    expect(second.alert.evidence_event_ids.slice(0, 2)).toEqual(['bulk-1', 'bulk-2']);
    expect(second.alert.evidence_event_ids.at(-1)).toBe('x');
    expect(second.alert.evidence_event_ids).not.toContain('e1');
  });

  it('is deterministic: the same inputs give the same ids and decisions', () => {
    const steps = [
      { at: T0, d: { trigger: 'e1' } },
      { at: T0 + 1, d: { trigger: 'e2' } },
    ];
    expect(run(grouper(), steps)).toEqual(run(grouper(), steps));
  });
});

describe('AlertGrouper: resolving', () => {
  it('resolves the open alert and tells the sinks that were triggered and understand a resolve (PagerDuty, webhook)', () => {
    const g = grouper();
    const [opened] = run(g, [{ at: T0, d: { trigger: 'e1' } }]);
    const resolved = g.resolve(opened.alert, T0 + MINUTE);
    expect(resolved?.alert).toMatchObject({ status: 'resolved', revision: 2, resolved_at_ms: T0 + MINUTE, count: 1 });
    expect(resolved?.notifications.map((n) => [n.action, n.sink, n.notification.dedup_key, n.delivery_id])).toEqual([
      ['resolve', 'pd', opened.alert.dedup_key, deliveryIdFor('pd', 'resolve', opened.alert.alert_id)],
      ['resolve', 'hook', opened.alert.dedup_key, deliveryIdFor('hook', 'resolve', opened.alert.alert_id)],
    ]);
    expect(resolved?.unknown_sinks).toEqual([]);
  });

  it('has nothing to resolve when there is no open alert', () => {
    const g = grouper();
    const [opened] = run(g, [{ at: T0, d: { trigger: 'e1' } }]);
    const resolved = g.resolve(opened.alert, T0 + 1);
    expect(g.resolve(null, T0)).toBeNull();
    expect(g.resolve(resolved?.alert ?? null, T0 + 2)).toBeNull();
  });

  it('reports notified sinks that are no longer configured instead of sending to them', () => {
    const [opened] = run(grouper(), [{ at: T0, d: { trigger: 'e1' } }]);
    const withoutPd = new AlertGrouper(alertingConfig({ sinks: [SINKS[1], SINKS[2]] }));
    const resolved = withoutPd.resolve(opened.alert, T0 + 1);
    expect(resolved?.notifications.map((n) => n.sink)).toEqual(['hook']);
    expect(resolved?.unknown_sinks).toEqual(['pd']);
  });

  it('a detection after a resolve opens a new alert (next episode) under the same PagerDuty dedup_key', () => {
    const g = grouper();
    const [opened] = run(g, [{ at: T0, d: { trigger: 'e1' } }]);
    const resolved = g.resolve(opened.alert, T0 + 1000)?.alert ?? null;
    const [reopened] = run(g, [{ at: T0 + 2000, d: { trigger: 'e2' } }], resolved);
    expect(reopened.kind).toBe('opened');
    expect(reopened.outcome).toBe('notified');
    expect(reopened.alert).toMatchObject({
      episode: 2,
      alert_id: alertIdFor(opened.alert.group_key, 2),
      dedup_key: opened.alert.dedup_key,
      count: 1,
      suppressed: 0,
      revision: 1,
      status: 'open',
    });
  });
});
