import type { TableNames } from '../clickhouse/clickhouse.connection.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements are each idempotent, so a migration interrupted half-way is simply run again. */
  statements: (t: TableNames) => string[];
}

/**
 * `agent_actions` is the raw log. Physical dedup is ReplacingMergeTree on a
 * sorting key that ends in event_id, backed by a check-before-insert in the
 * ingest path; reads use FINAL so that even a duplicate written by a race
 * (two ingestors, same event, same instant) is never returned twice.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'agent_actions and rejected_events',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.agentActions} (
        tenant LowCardinality(String),
        event_id String,
        occurred_at DateTime64(6, 'UTC'),
        ingested_at DateTime64(6, 'UTC'),
        principal_id String,
        principal_kind LowCardinality(String),
        agent_id String,
        action_type LowCardinality(String),
        resource_type LowCardinality(String),
        resource_id String,
        sensitivity LowCardinality(String),
        outcome LowCardinality(String),
        source_system LowCardinality(String),
        payload String CODEC(ZSTD(3)),
        INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1,
        INDEX idx_agent_id agent_id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_resource_id resource_id TYPE bloom_filter(0.01) GRANULARITY 4
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (tenant, principal_id, occurred_at, event_id)
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
      `CREATE TABLE IF NOT EXISTS ${t.rejectedEvents} (
        tenant LowCardinality(String),
        rejected_at DateTime64(6, 'UTC'),
        transport LowCardinality(String),
        origin String,
        event_id String,
        errors String,
        raw String CODEC(ZSTD(3)),
        raw_bytes UInt32,
        truncated Bool
      )
      ENGINE = MergeTree
      PARTITION BY toYYYYMM(rejected_at)
      ORDER BY (tenant, rejected_at)
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
  {
    version: 2,
    name: 'agent_actions: skip index on ingested_at for catch-up scans',
    statements: (t) => [
      `ALTER TABLE ${t.agentActions} ADD INDEX IF NOT EXISTS idx_ingested_at ingested_at TYPE minmax GRANULARITY 1`,
    ],
  },
];
