import type { Migration } from '@warden/storage';

export const ALERTING_TABLES = {
  alerts: 'alerts',
  detections: 'alert_detections',
  deliveries: 'alert_deliveries',
} as const;

/** Same durability as the raw log: an acknowledged alert or delivery state must survive a power cut. */
const DURABLE = 'SETTINGS fsync_after_insert = 1, fsync_part_directory = 1';

/**
 * Alerting owns versions 200–299. All three tables are append-only:
 * - `alerts`: one row per state change of an alert; ReplacingMergeTree keeps
 *   the highest `revision` per alert and reads use FINAL.
 * - `alert_detections`: every detection received, once per detection_id
 *   (ReplacingMergeTree), whatever the throttle decided. Not partitioned:
 *   replacing only works within a partition, and a redelivery can come
 *   in a later month than the original.
 * - `alert_deliveries`: the outbox and its attempt log; one row per state
 *   change of a delivery. Plain MergeTree, so the attempt history stays;
 *   reads take the highest `revision` per delivery (LIMIT 1 BY).
 */
export const ALERTING_MIGRATIONS: Migration[] = [
  {
    version: 200,
    name: 'alerts, alert_detections and alert_deliveries',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.table(ALERTING_TABLES.alerts)} (
        tenant LowCardinality(String),
        group_key String,
        alert_id String,
        episode UInt32,
        revision UInt32,
        status LowCardinality(String),
        rule_id String,
        rule_kind LowCardinality(String),
        severity LowCardinality(String),
        principal_id String,
        title String,
        summary String,
        dedup_key String,
        opened_at DateTime64(6, 'UTC'),
        updated_at DateTime64(6, 'UTC'),
        resolved_at Nullable(DateTime64(6, 'UTC')),
        window_start DateTime64(6, 'UTC'),
        window_notifications UInt32,
        window_pagerduty_updates UInt32,
        count UInt32,
        event_count UInt64,
        notifications UInt32,
        suppressed UInt32,
        first_seen DateTime64(6, 'UTC'),
        last_seen DateTime64(6, 'UTC'),
        evidence_event_ids Array(String),
        last_detection_id String,
        last_outcome LowCardinality(String),
        trigger_event_id String,
        auto_contain Bool,
        notified_sinks Array(String)
      )
      ENGINE = ReplacingMergeTree(revision)
      ORDER BY (tenant, group_key, alert_id)
      ${DURABLE}`,
      `CREATE TABLE IF NOT EXISTS ${t.table(ALERTING_TABLES.detections)} (
        tenant LowCardinality(String),
        detection_id String,
        group_key String,
        alert_id String,
        rule_id String,
        severity LowCardinality(String),
        principal_id String,
        trigger_event_id String,
        outcome LowCardinality(String),
        received_at DateTime64(6, 'UTC'),
        occurred_at DateTime64(6, 'UTC'),
        ingested_at DateTime64(6, 'UTC'),
        detection String CODEC(ZSTD(3)),
        INDEX idx_alert_id alert_id TYPE bloom_filter(0.01) GRANULARITY 1
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (tenant, detection_id)
      ${DURABLE}`,
      `CREATE TABLE IF NOT EXISTS ${t.table(ALERTING_TABLES.deliveries)} (
        tenant LowCardinality(String),
        delivery_id String,
        revision UInt32,
        alert_id String,
        group_key String,
        sink String,
        sink_type LowCardinality(String),
        action LowCardinality(String),
        status LowCardinality(String),
        attempt UInt16,
        error_code LowCardinality(String),
        last_error String,
        last_status_code Nullable(UInt16),
        next_attempt_at DateTime64(6, 'UTC'),
        created_at DateTime64(6, 'UTC'),
        recorded_at DateTime64(6, 'UTC'),
        dispatched_at Nullable(DateTime64(6, 'UTC')),
        occurred_at Nullable(DateTime64(6, 'UTC')),
        ingested_at Nullable(DateTime64(6, 'UTC')),
        notification String CODEC(ZSTD(3)),
        INDEX idx_alert_id alert_id TYPE bloom_filter(0.01) GRANULARITY 1
      )
      ENGINE = MergeTree
      ORDER BY (tenant, delivery_id, revision)
      ${DURABLE}`,
    ],
  },
];
