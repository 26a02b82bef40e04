import type { z } from 'zod';
import type { webhookSinkSchema } from '../../config/alerting-config.schema.js';
import type { AlertNotification } from '../../core/alert.model.js';
import type { AlertSink, DeliveryContext, SinkRequest } from '../alert-sink.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signAlert } from './webhook.signature.js';

export type WebhookSinkConfig = z.output<typeof webhookSinkSchema>;

/** Versioned so receivers can tell what they are parsing. */
export const WEBHOOK_SCHEMA_VERSION = '1';

export interface WebhookBody {
  schema_version: typeof WEBHOOK_SCHEMA_VERSION;
  type: 'alert.triggered' | 'alert.resolved';
  /** Same on every retry of one delivery: receivers deduplicate by it (delivery is at-least-once). */
  delivery_id: string;
  alert: Omit<AlertNotification, 'action' | 'decided_at_ms'> & { decided_at: string };
}

export function webhookBody(n: AlertNotification, deliveryId: string): WebhookBody {
  const { action, decided_at_ms, ...alert } = n;
  return {
    schema_version: WEBHOOK_SCHEMA_VERSION,
    type: action === 'trigger' ? 'alert.triggered' : 'alert.resolved',
    delivery_id: deliveryId,
    alert: { ...alert, decided_at: new Date(decided_at_ms).toISOString() },
  };
}

export class WebhookSink implements AlertSink {
  readonly type = 'webhook' as const;
  readonly name: string;

  constructor(private readonly config: WebhookSinkConfig) {
    this.name = config.name;
  }

  request(notification: AlertNotification, context: DeliveryContext): SinkRequest {
    const body = JSON.stringify(webhookBody(notification, context.delivery_id));
    const timestamp = Math.floor(context.now_ms / 1000);
    return {
      url: this.config.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'warden-alerting',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signAlert(this.config.secret.reveal(), timestamp, body),
        [DELIVERY_HEADER]: context.delivery_id,
      },
      body,
    };
  }
}
