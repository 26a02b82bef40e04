import type { ClickHouseClient } from '@clickhouse/client';
import { fromClickHouseDateTime64, instantFromDate, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import { detectionSchema, type Severity } from '@warden/detection';
import type { TableNames } from '@warden/storage';
import { ALERTING_TABLES } from '../alerting.migrations.js';
import type { SinkType } from '../config/alerting-config.schema.js';
import { alertNotificationSchema, type AlertAction, type AlertState, type AlertStatus, type DetectionOutcome } from '../core/alert.model.js';
import { DEFAULT_LIST_LIMIT, type AlertOutbox, type DeliveryRecord, type DeliveryStatus, type DetectionRecord, type PriorEffects } from './alert-outbox.port.js';

const fromMs = (ms: number): string => toClickHouseDateTime64(instantFromDate(new Date(ms)));
const toMs = (value: string): number => {
  const i = fromClickHouseDateTime64(value);
  return i.epochSeconds * 1000 + Math.floor(i.micros / 1000);
};
const fromRfc3339 = (value: string): string => toClickHouseDateTime64(parseRfc3339(value));
const toRfc3339 = (value: string): string => toRfc3339Utc(fromClickHouseDateTime64(value));

interface AlertRow {
  tenant: string;
  group_key: string;
  alert_id: string;
  episode: number;
  revision: number;
  status: string;
  rule_id: string;
  rule_kind: string;
  severity: string;
  principal_id: string;
  title: string;
  summary: string;
  dedup_key: string;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  window_start: string;
  window_notifications: number;
  window_pagerduty_updates: number;
  count: number;
  /** UInt64 comes back quoted, so that no precision is lost in JSON. */
  event_count: number | string;
  notifications: number;
  suppressed: number;
  first_seen: string;
  last_seen: string;
  evidence_event_ids: string[];
  last_detection_id: string;
  last_outcome: string;
  trigger_event_id: string;
  auto_contain: boolean;
  notified_sinks: string[];
}

interface DeliveryRow {
  tenant: string;
  delivery_id: string;
  revision: number;
  alert_id: string;
  group_key: string;
  sink: string;
  sink_type: string;
  action: string;
  status: string;
  attempt: number;
  error_code: string;
  last_error: string;
  last_status_code: number | null;
  next_attempt_at: string;
  created_at: string;
  recorded_at: string;
  dispatched_at: string | null;
  occurred_at: string | null;
  ingested_at: string | null;
  notification: string;
}

interface DetectionRow {
  alert_id: string;
  outcome: string;
  received_at: string;
  occurred_at: string;
  ingested_at: string;
  detection: string;
}

function alertToRow(a: AlertState): AlertRow {
  return {
    tenant: a.tenant,
    group_key: a.group_key,
    alert_id: a.alert_id,
    episode: a.episode,
    revision: a.revision,
    status: a.status,
    rule_id: a.rule_id,
    rule_kind: a.rule_kind,
    severity: a.severity,
    principal_id: a.principal_id,
    title: a.title,
    summary: a.summary,
    dedup_key: a.dedup_key,
    opened_at: fromMs(a.opened_at_ms),
    updated_at: fromMs(a.updated_at_ms),
    resolved_at: a.resolved_at_ms === null ? null : fromMs(a.resolved_at_ms),
    window_start: fromMs(a.window_start_ms),
    window_notifications: a.window_notifications,
    window_pagerduty_updates: a.window_pagerduty_updates,
    count: a.count,
    event_count: a.event_count,
    notifications: a.notifications,
    suppressed: a.suppressed,
    first_seen: fromRfc3339(a.first_seen),
    last_seen: fromRfc3339(a.last_seen),
    evidence_event_ids: a.evidence_event_ids,
    last_detection_id: a.last_detection_id,
    last_outcome: a.last_outcome,
    trigger_event_id: a.trigger_event_id,
    auto_contain: a.auto_contain,
    notified_sinks: a.notified_sinks,
  };
}

// Rows were written by alertToRow from typed state, so the enum columns hold valid values.
function rowToAlert(r: AlertRow): AlertState {
  return {
    alert_id: r.alert_id,
    group_key: r.group_key,
    episode: Number(r.episode),
    revision: Number(r.revision),
    status: r.status as AlertStatus,
    tenant: r.tenant,
    rule_id: r.rule_id,
    rule_kind: r.rule_kind as AlertState['rule_kind'],
    severity: r.severity as Severity,
    principal_id: r.principal_id,
    title: r.title,
    summary: r.summary,
    dedup_key: r.dedup_key,
    opened_at_ms: toMs(r.opened_at),
    updated_at_ms: toMs(r.updated_at),
    resolved_at_ms: r.resolved_at === null ? null : toMs(r.resolved_at),
    window_start_ms: toMs(r.window_start),
    window_notifications: Number(r.window_notifications),
    window_pagerduty_updates: Number(r.window_pagerduty_updates),
    count: Number(r.count),
    event_count: Number(r.event_count),
    notifications: Number(r.notifications),
    suppressed: Number(r.suppressed),
    first_seen: toRfc3339(r.first_seen),
    last_seen: toRfc3339(r.last_seen),
    evidence_event_ids: r.evidence_event_ids,
    last_detection_id: r.last_detection_id,
    last_outcome: r.last_outcome as DetectionOutcome,
    trigger_event_id: r.trigger_event_id,
    auto_contain: Boolean(r.auto_contain),
    notified_sinks: r.notified_sinks,
  };
}

function deliveryToRow(d: DeliveryRecord): DeliveryRow {
  return {
    tenant: d.tenant,
    delivery_id: d.delivery_id,
    revision: d.revision,
    alert_id: d.alert_id,
    group_key: d.group_key,
    sink: d.sink,
    sink_type: d.sink_type,
    action: d.action,
    status: d.status,
    attempt: d.attempt,
    error_code: d.error_code ?? '',
    last_error: d.last_error ?? '',
    last_status_code: d.last_status_code,
    next_attempt_at: fromMs(d.next_attempt_at_ms),
    created_at: fromMs(d.created_at_ms),
    recorded_at: fromMs(d.recorded_at_ms),
    dispatched_at: d.dispatched_at_ms === null ? null : fromMs(d.dispatched_at_ms),
    occurred_at: d.timing === null ? null : fromRfc3339(d.timing.occurred_at),
    ingested_at: d.timing === null ? null : fromRfc3339(d.timing.ingested_at),
    notification: JSON.stringify(d.notification),
  };
}

function rowToDelivery(r: DeliveryRow): DeliveryRecord {
  return {
    delivery_id: r.delivery_id,
    tenant: r.tenant,
    alert_id: r.alert_id,
    group_key: r.group_key,
    sink: r.sink,
    sink_type: r.sink_type as SinkType,
    action: r.action as AlertAction,
    status: r.status as DeliveryStatus,
    revision: Number(r.revision),
    attempt: Number(r.attempt),
    error_code: r.error_code === '' ? null : r.error_code,
    last_error: r.last_error === '' ? null : r.last_error,
    last_status_code: r.last_status_code === null ? null : Number(r.last_status_code),
    next_attempt_at_ms: toMs(r.next_attempt_at),
    created_at_ms: toMs(r.created_at),
    recorded_at_ms: toMs(r.recorded_at),
    dispatched_at_ms: r.dispatched_at === null ? null : toMs(r.dispatched_at),
    timing:
      r.occurred_at === null || r.ingested_at === null ? null : { occurred_at: toRfc3339(r.occurred_at), ingested_at: toRfc3339(r.ingested_at) },
    // The notification is sent from this copy after a restart: check it rather than trust a column.
    notification: alertNotificationSchema.parse(JSON.parse(r.notification)),
  };
}

/** The outbox and alert state over ClickHouse (server or embedded), in the tables of ALERTING_MIGRATIONS. */
export class ClickHouseAlertOutbox implements AlertOutbox {
  private readonly alerts: string;
  private readonly detections: string;
  private readonly deliveries: string;

  constructor(
    private readonly client: ClickHouseClient,
    tables: TableNames,
  ) {
    this.alerts = tables.table(ALERTING_TABLES.alerts);
    this.detections = tables.table(ALERTING_TABLES.detections);
    this.deliveries = tables.table(ALERTING_TABLES.deliveries);
  }

  async priorEffects(tenant: string, detectionIds: readonly string[], deliveryIds: readonly string[]): Promise<PriorEffects> {
    // One statement rather than two: on the alert path every round trip to the engine is latency.
    const rows = await this.select<{ kind: 'detection' | 'delivery'; id: string }>(
      `SELECT DISTINCT 'detection' AS kind, detection_id AS id FROM ${this.detections} WHERE tenant = {tenant:String} AND detection_id IN {detections:Array(String)}
       UNION ALL
       SELECT DISTINCT 'delivery' AS kind, delivery_id AS id FROM ${this.deliveries} WHERE tenant = {tenant:String} AND delivery_id IN {deliveries:Array(String)}`,
      { tenant, detections: detectionIds, deliveries: deliveryIds },
    );
    return {
      recorded_detection_ids: new Set(rows.filter((r) => r.kind === 'detection').map((r) => r.id)),
      stored_delivery_ids: new Set(rows.filter((r) => r.kind === 'delivery').map((r) => r.id)),
    };
  }

  async recordDetections(records: DetectionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.client.insert({
      table: this.detections,
      format: 'JSONEachRow',
      values: records.map(({ detection: d, alert_id, outcome, received_at_ms, timing }) => ({
        tenant: d.tenant,
        detection_id: d.detection_id,
        group_key: d.group_key,
        alert_id,
        rule_id: d.rule_id,
        severity: d.severity,
        principal_id: d.principal_id,
        trigger_event_id: d.trigger_event_id,
        outcome,
        received_at: fromMs(received_at_ms),
        occurred_at: fromRfc3339(timing.occurred_at),
        ingested_at: fromRfc3339(timing.ingested_at),
        detection: JSON.stringify(d),
      })),
    });
  }

  async latestAlerts(tenant: string, groupKeys: readonly string[]): Promise<Map<string, AlertState>> {
    if (groupKeys.length === 0) return new Map();
    const rows = await this.select<AlertRow>(
      `SELECT * FROM ${this.alerts} FINAL WHERE tenant = {tenant:String} AND group_key IN {groups:Array(String)}
       ORDER BY group_key, episode DESC LIMIT 1 BY group_key`,
      { tenant, groups: groupKeys },
    );
    return new Map(rows.map((row) => [row.group_key, rowToAlert(row)]));
  }

  async saveAlerts(alerts: AlertState[]): Promise<void> {
    if (alerts.length > 0) await this.client.insert({ table: this.alerts, format: 'JSONEachRow', values: alerts.map(alertToRow) });
  }

  async enqueue(deliveries: DeliveryRecord[]): Promise<DeliveryRecord[]> {
    if (deliveries.length === 0) return [];
    const known = await this.select<{ delivery_id: string }>(
      `SELECT DISTINCT delivery_id FROM ${this.deliveries} WHERE tenant IN {tenants:Array(String)} AND delivery_id IN {ids:Array(String)}`,
      { tenants: [...new Set(deliveries.map((d) => d.tenant))], ids: deliveries.map((d) => d.delivery_id) },
    );
    const stored = new Set(known.map((r) => r.delivery_id));
    const fresh = deliveries.filter((d) => !stored.has(d.delivery_id));
    await this.appendDeliveries(fresh);
    return fresh;
  }

  async appendDeliveries(deliveries: DeliveryRecord[]): Promise<void> {
    if (deliveries.length > 0) await this.client.insert({ table: this.deliveries, format: 'JSONEachRow', values: deliveries.map(deliveryToRow) });
  }

  async recordAttempts(deliveries: DeliveryRecord[]): Promise<void> {
    if (deliveries.length > 0) await this.client.insert({ table: this.deliveries, format: 'JSONEachRow', values: deliveries.map(deliveryToRow) });
  }

  async pendingDeliveries(): Promise<DeliveryRecord[]> {
    const rows = await this.select<DeliveryRow>(
      `SELECT * FROM (${this.latestDeliveries('1')}) WHERE status = 'pending' ORDER BY next_attempt_at, delivery_id`,
      {},
    );
    return rows.map(rowToDelivery);
  }

  async listFailedDeliveries(tenant: string, limit = DEFAULT_LIST_LIMIT): Promise<DeliveryRecord[]> {
    const rows = await this.select<DeliveryRow>(
      `SELECT * FROM (${this.latestDeliveries('tenant = {tenant:String}')})
       WHERE status = 'failed' ORDER BY recorded_at DESC, delivery_id LIMIT {limit:UInt32}`,
      { tenant, limit },
    );
    return rows.map(rowToDelivery);
  }

  async listDeliveries(tenant: string, alertId: string): Promise<DeliveryRecord[]> {
    const rows = await this.select<DeliveryRow>(
      `SELECT * FROM (${this.latestDeliveries('tenant = {tenant:String} AND alert_id = {alert:String}')}) ORDER BY created_at, delivery_id`,
      { tenant, alert: alertId },
    );
    return rows.map(rowToDelivery);
  }

  async deliveryHistory(tenant: string, deliveryId: string): Promise<DeliveryRecord[]> {
    const rows = await this.select<DeliveryRow>(
      `SELECT * FROM ${this.deliveries} WHERE tenant = {tenant:String} AND delivery_id = {id:String} ORDER BY revision`,
      { tenant, id: deliveryId },
    );
    return rows.map(rowToDelivery);
  }

  async listAlerts(tenant: string, limit = DEFAULT_LIST_LIMIT): Promise<AlertState[]> {
    const rows = await this.select<AlertRow>(
      `SELECT * FROM ${this.alerts} FINAL WHERE tenant = {tenant:String} ORDER BY updated_at DESC, alert_id LIMIT {limit:UInt32}`,
      { tenant, limit },
    );
    return rows.map(rowToAlert);
  }

  async listDetections(tenant: string, alertId: string): Promise<DetectionRecord[]> {
    const rows = await this.select<DetectionRow>(
      `SELECT alert_id, outcome, received_at, occurred_at, ingested_at, detection FROM ${this.detections} FINAL
       WHERE tenant = {tenant:String} AND alert_id = {alert:String} ORDER BY received_at, detection_id`,
      { tenant, alert: alertId },
    );
    return rows.map((r) => ({
      detection: detectionSchema.parse(JSON.parse(r.detection)),
      alert_id: r.alert_id,
      outcome: r.outcome as DetectionOutcome,
      received_at_ms: toMs(r.received_at),
      timing: { occurred_at: toRfc3339(r.occurred_at), ingested_at: toRfc3339(r.ingested_at) },
    }));
  }

  /** Each delivery's newest row (the attempt log keeps the older ones). */
  private latestDeliveries(where: string): string {
    return `SELECT * FROM ${this.deliveries} WHERE ${where} ORDER BY tenant, delivery_id, revision DESC LIMIT 1 BY tenant, delivery_id`;
  }

  private async select<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const rs = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }
}
