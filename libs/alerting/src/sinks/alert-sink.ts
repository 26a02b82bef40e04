import type { SinkType } from '../config/alerting-config.schema.js';
import type { AlertNotification } from '../core/alert.model.js';

/** One HTTP POST, fully built. Built again for every attempt, because signatures carry the time. */
export interface SinkRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryContext {
  delivery_id: string;
  /** Epoch ms of this attempt. */
  now_ms: number;
}

/** Turns a notification into the request its receiver expects. Pure: sending is the transport's job. */
export interface AlertSink {
  readonly name: string;
  readonly type: SinkType;
  request(notification: AlertNotification, context: DeliveryContext): SinkRequest;
}
