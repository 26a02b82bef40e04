import type { SinkConfig } from '../config/alerting-config.schema.js';
import type { AlertSink } from './alert-sink.js';
import { PagerDutySink } from './pagerduty/pagerduty.sink.js';
import { SlackSink } from './slack/slack.sink.js';
import { WebhookSink } from './webhook/webhook.sink.js';

export function createSink(config: SinkConfig): AlertSink {
  switch (config.type) {
    case 'pagerduty':
      return new PagerDutySink(config);
    case 'slack':
      return new SlackSink(config);
    case 'webhook':
      return new WebhookSink(config);
    default: {
      const unreachable: never = config;
      throw new Error(`unknown sink type ${JSON.stringify(unreachable)}`);
    }
  }
}

export function createSinks(configs: readonly SinkConfig[]): ReadonlyMap<string, AlertSink> {
  return new Map(configs.map((c) => [c.name, createSink(c)]));
}
