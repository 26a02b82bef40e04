import type { Migration } from '@warden/storage';

/** Detection tables (versions 100–199). Both are projections of the raw log: rebuildable by replaying it. */
export const DETECTION_MIGRATIONS: Migration[] = [
  {
    version: 100,
    name: 'detections and the detection checkpoint',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.table('detections')} (
        tenant LowCardinality(String),
        detection_id FixedString(32),
        detected_at DateTime64(6, 'UTC'),
        rule_id LowCardinality(String),
        rule_kind LowCardinality(String),
        severity LowCardinality(String),
        principal_id String,
        group_key String,
        trigger_event_id String,
        first_seen DateTime64(6, 'UTC'),
        last_seen DateTime64(6, 'UTC'),
        count UInt32,
        payload String CODEC(ZSTD(3))
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(first_seen)
      ORDER BY (tenant, detection_id)`,
      // Where catch-up starts after a restart: the ingest time of the last event evaluated.
      `CREATE TABLE IF NOT EXISTS ${t.table('detection_checkpoints')} (
        name String,
        evaluated_through DateTime64(6, 'UTC'),
        updated_at DateTime64(6, 'UTC')
      )
      ENGINE = ReplacingMergeTree(updated_at)
      ORDER BY name`,
    ],
  },
];
