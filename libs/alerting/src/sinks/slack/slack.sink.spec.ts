import { describe, expect, it } from 'vitest';
import { AlertGrouper } from '../../core/alert-grouper.js';
import { alertingConfig, CONSOLE_URL, detection, T0 } from '../../testing/alerting.fixtures.js';
import { escapeSlack, slackMessage } from './slack.sink.js';

const grouper = new AlertGrouper(alertingConfig({ sinks: [{ name: 'slack', type: 'slack', url: 'https://hooks.slack.com/services/a' }] }));
const notification = (overrides: Partial<Parameters<typeof detection>[0]> = {}) =>
  grouper.decide(null, detection({ trigger: 'e1', ...overrides }), T0).notifications[0].notification;

describe('Slack incoming-webhook messages', () => {
  it('has a header, the summary, fields for severity, rule, principal and count, and a button to the console', () => {
    const n = notification();
    expect(slackMessage(n)).toEqual({
      text: '[high] Mass deletion burst: agent-7 (acme)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🟠 Mass deletion burst', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: 'agent-7 deleted 40 messages in 60s (trigger e1)' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Severity*\nhigh' },
            { type: 'mrkdwn', text: '*Rule*\n`mass-deletion-burst`' },
            { type: 'mrkdwn', text: '*Principal*\nagent-7 (acme)' },
            { type: 'mrkdwn', text: '*Count*\n1' },
          ],
        },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Open in Warden', emoji: true }, url: `${CONSOLE_URL}/detections/${n.detection_id}`, style: 'danger' },
          ],
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `First seen 2026-11-24T09:00:00Z · last seen 2026-11-24T09:00:00Z · detection ${n.detection_id}` }],
        },
      ],
    });
  });

  it('shows how many detections were not announced separately', () => {
    const n = { ...notification(), count: 3, suppressed: 2 };
    const fields = slackMessage(n).blocks[2].fields as { text: string }[];
    expect(fields[3].text).toBe('*Count*\n3 (2 not announced separately)');
  });

  it('escapes text from agents so it cannot mention @channel or forge links', () => {
    expect(escapeSlack('<!channel> & <https://evil|click>')).toBe('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    const message = slackMessage(notification({ summary: 'ping <!channel>', principal_id: '<@U123>' }));
    expect(JSON.stringify(message)).not.toContain('<!channel>');
    expect(JSON.stringify(message)).not.toContain('<@U123>');
  });

  it('keeps the header within Slack\'s 150 characters', () => {
    expect(slackMessage(notification({ title: 't'.repeat(400) })).blocks[0]).toEqual({
      type: 'header',
      // 150 characters: the mark, a space, 147 letters and the ellipsis.
      text: { type: 'plain_text', text: `🟠 ${'t'.repeat(147)}…`, emoji: true },
    });
  });
});
