import type { ClickHouseClient } from '@clickhouse/client';
import type { TableNames } from '@warden/storage';
import type { AlertingLogger } from './alerting.logger.js';
import type { AlertingConfig } from './config/alerting-config.schema.js';
import { AlertDispatcher, type AlertDispatcherDeps } from './dispatcher/alert-dispatcher.js';
import { ClickHouseAlertOutbox } from './outbox/clickhouse-alert-outbox.js';
import type { HttpTransport } from './sinks/http-transport.js';

export interface CreateAlertingOptions {
  config: AlertingConfig;
  client: ClickHouseClient;
  /** The schema must already hold ALERTING_MIGRATIONS (pass them to StorageModule.forRoot or a Migrator). */
  tables: TableNames;
  logger?: AlertingLogger;
  clock?: () => number;
  random?: () => number;
  transport?: HttpTransport;
  onAttempt?: AlertDispatcherDeps['onAttempt'];
}

export interface Alerting {
  dispatcher: AlertDispatcher;
  /** Read side for the API: alerts, their detections and deliveries, failed deliveries. */
  outbox: ClickHouseAlertOutbox;
}

/** Wires the ClickHouse outbox, the configured sinks and the dispatcher. Call `dispatcher.start()` before use. */
export function createAlerting(options: CreateAlertingOptions): Alerting {
  const outbox = new ClickHouseAlertOutbox(options.client, options.tables);
  const dispatcher = new AlertDispatcher({
    config: options.config,
    outbox,
    logger: options.logger,
    clock: options.clock,
    random: options.random,
    transport: options.transport,
    onAttempt: options.onAttempt,
  });
  return { dispatcher, outbox };
}
