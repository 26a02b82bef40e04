// Configuration: the `alerting:` section of the WARDEN_CONFIG file.
export {
  alertingConfigSchema,
  alertingRetrySchema,
  sinkConfigSchema,
  pagerDutySinkSchema,
  slackSinkSchema,
  webhookSinkSchema,
  routeSchema,
  parseAlertingConfig,
  parseAlertingConfigYaml,
  loadAlertingConfig,
  PAGERDUTY_EVENTS_URL,
  type AlertingConfig,
  type AlertingConfigInput,
  type AlertingConfigResult,
  type AlertingRetryPolicy,
  type SinkConfig,
  type SinkType,
  type RouteConfig,
} from './config/alerting-config.schema.js';
export { Secret } from './config/secret.js';

// The pure core: routing, grouping, throttling.
export {
  alertNotificationSchema,
  severityAtLeast,
  type AlertState,
  type AlertStatus,
  type AlertAction,
  type AlertNotification,
  type DetectionOutcome,
} from './core/alert.model.js';
export { routeDetection, type RoutedSink } from './core/alert-router.js';
export { AlertGrouper, type DetectionDecision, type ResolveDecision, type PlannedNotification } from './core/alert-grouper.js';
export { alertIdFor, dedupKeyFor, deliveryIdFor } from './core/alert-ids.js';
export { consoleDetectionLink } from './core/console-link.js';

// Sinks.
export type { AlertSink, SinkRequest, DeliveryContext } from './sinks/alert-sink.js';
export { createSink, createSinks } from './sinks/sink.factory.js';
export { fetchTransport, classifyHttpStatus, type HttpTransport, type HttpOutcome } from './sinks/http-transport.js';
export { PagerDutySink, pagerDutyEvent, PAGERDUTY_SEVERITY, type PagerDutyTriggerEvent, type PagerDutyResolveEvent } from './sinks/pagerduty/pagerduty.sink.js';
export { SlackSink, slackMessage, escapeSlack, type SlackMessage } from './sinks/slack/slack.sink.js';
export { WebhookSink, webhookBody, WEBHOOK_SCHEMA_VERSION, type WebhookBody } from './sinks/webhook/webhook.sink.js';
export {
  signAlert,
  verifyAlertSignature,
  TIMESTAMP_HEADER,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  type SignatureVerification,
} from './sinks/webhook/webhook.signature.js';

// Outbox, storage and dispatch.
export type { AlertOutbox, DeliveryRecord, DeliveryStatus, DetectionRecord, DetectionTiming } from './outbox/alert-outbox.port.js';
export { ClickHouseAlertOutbox } from './outbox/clickhouse-alert-outbox.js';
export { InMemoryAlertOutbox } from './outbox/in-memory-alert-outbox.js';
export { ALERTING_MIGRATIONS, ALERTING_TABLES } from './alerting.migrations.js';
export { AlertDispatcher, type AlertDispatcherDeps, type AcceptResult, type ResolveResult } from './dispatcher/alert-dispatcher.js';
export { afterAttempt, newDelivery, sinkNotConfigured } from './dispatcher/delivery-policy.js';
export { LatencyHistogram, DetectionLatency, type LatencySnapshot, type DetectionLatencySnapshot } from './latency/latency-histogram.js';
export { createAlerting, type Alerting, type CreateAlertingOptions } from './alerting.factory.js';
export { silentLogger, type AlertingLogger } from './alerting.logger.js';

export {
  ALERTING_ERROR,
  DELIVERY_ERROR,
  AlertingConfigError,
  DispatcherNotStartedError,
  DispatcherStoppedError,
  InvalidDetectionTimingError,
  type ConfigIssue,
  type DeliveryErrorCode,
} from './alerting.errors.js';
export { AlertingService } from './service/alerting.service.js';
export { AlertingModule } from './service/alerting.module.js';
