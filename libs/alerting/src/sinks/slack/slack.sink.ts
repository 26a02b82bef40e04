import type { z } from 'zod';
import type { slackSinkSchema } from '../../config/alerting-config.schema.js';
import type { AlertNotification } from '../../core/alert.model.js';
import type { AlertSink, SinkRequest } from '../alert-sink.js';
import { truncate } from '../truncate.js';

export type SlackSinkConfig = z.output<typeof slackSinkSchema>;

/** Block Kit limits: header text 150 characters, section text 3000, field text 2000. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

const SEVERITY_MARK = { critical: '🔴', high: '🟠', medium: '🟡', low: '🔵', info: '⚪' } as const;

/**
 * Text in detections comes from agents' activity. Slack reads `<…>` as links
 * and mentions (`<!channel>`), so `&`, `<` and `>` are escaped as Slack asks.
 */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export type SlackBlock = Record<string, unknown> & { type: string };

export interface SlackMessage {
  /** Shown in notifications and by clients that do not render blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** The incoming-webhook body. Pure, exported for specs. */
export function slackMessage(n: AlertNotification): SlackMessage {
  const heading = truncate(`${SEVERITY_MARK[n.severity]} ${n.title}`, HEADER_MAX);
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, FIELD_MAX) });
  const counted = n.suppressed > 0 ? `${n.count} (${n.suppressed} not announced separately)` : String(n.count);
  return {
    text: escapeSlack(`[${n.severity}] ${n.title}: ${n.principal_id} (${n.tenant})`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading, emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(escapeSlack(n.summary), SECTION_MAX) } },
      {
        type: 'section',
        fields: [
          field('Severity', n.severity),
          field('Rule', `\`${escapeSlack(n.rule_id)}\``),
          field('Principal', `${escapeSlack(n.principal_id)} (${escapeSlack(n.tenant)})`),
          field('Count', counted),
        ],
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open in Warden', emoji: true },
            url: n.console_link,
            ...(n.severity === 'critical' || n.severity === 'high' ? { style: 'danger' } : {}),
          },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: escapeSlack(`First seen ${n.first_seen} · last seen ${n.last_seen} · detection ${n.detection_id}`),
          },
        ],
      },
    ],
  };
}

export class SlackSink implements AlertSink {
  readonly type = 'slack' as const;
  readonly name: string;

  constructor(private readonly config: SlackSinkConfig) {
    this.name = config.name;
  }

  request(notification: AlertNotification): SinkRequest {
    return {
      url: this.config.url.reveal(),
      headers: { 'content-type': 'application/json', 'user-agent': 'warden-alerting' },
      body: JSON.stringify(slackMessage(notification)),
    };
  }
}
