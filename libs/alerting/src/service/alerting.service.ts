import type { ClickHouseClient } from '@clickhouse/client';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigError, WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { DetectionService } from '@warden/detection';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { metrics } from '@opentelemetry/api';
import { LOGGER, type Logger, inSpan } from '@warden/telemetry';
import { type Alerting, createAlerting } from '../alerting.factory.js';
import type { AlertingLogger } from '../alerting.logger.js';
import { parseAlertingConfig } from '../config/alerting-config.schema.js';
import { detectionsToAlerts } from './detections-to-alerts.js';

/**
 * Connects detections to on-call humans: every detection goes through the
 * dispatcher (grouping, throttling, outbox, retries). Off when the
 * WARDEN_CONFIG file has no `alerting:` section.
 */
@Injectable()
export class AlertingService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private alerting: Alerting | null = null;
  private stopping = false;

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient,
    @Inject(TABLE_NAMES) private readonly tables: TableNames,
    @Inject(DetectionService) private readonly detection: DetectionService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Started, and listening to detection, before any module's bootstrap: after
   * a restart, detection's bootstrap re-evaluates what was stored after its
   * checkpoint, and the alerts of that catch-up must reach the dispatcher
   * (which drops what it had already taken). Tables exist by now: storage's
   * migrations run while its client is provided.
   */
  async onModuleInit(): Promise<void> {
    const parsed = parseAlertingConfig(this.config.file.content);
    if (!parsed.ok) {
      throw new ConfigError(parsed.errors.map((e) => ({ variable: `WARDEN_CONFIG ${this.config.file.path}`, message: `${e.path}: ${e.message}` })));
    }
    if (parsed.config === null) return;
    const log = this.logger.child({ component: 'alerting' });
    const alertingLog: AlertingLogger = { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) };
    const meter = metrics.getMeter('warden');
    const deliveries = meter.createCounter('warden.alert.deliveries', { description: 'Alert delivery attempts by sink and outcome (delivered, retry, failed)' });
    const latency = meter.createHistogram('warden.alert.latency.seconds', { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }, description: 'From event ingestion to alert delivered, per sink' });
    this.alerting = createAlerting({
      config: parsed.config,
      client: this.client,
      tables: this.tables,
      onAttempt: ({ sink, outcome, fromIngestedMs }) => {
        deliveries.add(1, { sink, outcome });
        if (fromIngestedMs !== undefined) latency.record(fromIngestedMs / 1000, { sink });
      },
      logger: alertingLog,
    });
    const { resumed } = await this.alerting.dispatcher.start();
    log.info({ sinks: parsed.config.sinks.map((s) => s.name), resumed }, 'alerting started');
    // The outbox keeps its own record of each detection, so an alert need not wait for the detections' write.
    const dispatcher = this.alerting.dispatcher;
    const toAlerts = detectionsToAlerts({ dispatcher, policy: this.config.retry, logger: alertingLog, shouldContinue: () => !this.stopping });
    this.detection.addListener('alerting', (detections, context) => inSpan('alert.accept', { 'warden.detections': detections.length }, () => toAlerts(detections, context)), { on: 'raised' });
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.alerting?.dispatcher.stop();
  }

  /**
   * Closes the alert of a detection's group (rule + principal): PagerDuty
   * gets a resolve with the same dedup_key, webhooks an alert.resolved.
   * The detections themselves stay stored.
   */
  async resolveGroup(tenant: string, groupKey: string): Promise<{ outcome: 'resolved' | 'not_open' | 'alerting_off'; alert_id?: string }> {
    if (!this.alerting) return { outcome: 'alerting_off' };
    const result = await this.alerting.dispatcher.resolve(tenant, groupKey);
    return result.outcome === 'resolved' ? { outcome: 'resolved', alert_id: result.alert_id } : { outcome: 'not_open' };
  }

  enabled(): boolean {
    return this.alerting !== null;
  }

  /** Deliveries that failed for good, and detection-to-dispatch latency. */
  async status(tenant: string): Promise<{ enabled: boolean; failed_deliveries: unknown[]; latency: unknown }> {
    if (!this.alerting) return { enabled: false, failed_deliveries: [], latency: null };
    return {
      enabled: true,
      failed_deliveries: await this.alerting.dispatcher.listFailedDeliveries(tenant),
      latency: this.alerting.dispatcher.latencySnapshot(),
    };
  }
}
