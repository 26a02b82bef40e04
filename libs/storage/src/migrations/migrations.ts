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
  {
    version: 3,
    name: 'agent_actions: resource_key, a hash of the resource computed at insert, for the principal summary',
    // A MATERIALIZED column is computed by the engine on insert, so writers do
    // not change, and `SELECT *` does not return it. Parts written before this
    // migration compute it on read until the backfill has rewritten them, so
    // answers are right throughout. The backfill is a mutation, left to run in
    // the background (mutations_sync = 0, whatever the profile's default) so
    // that start-up does not wait on the size of the history; the engine keeps
    // a pending mutation across restarts.
    statements: (t) => [
      `ALTER TABLE ${t.agentActions}
        ADD COLUMN IF NOT EXISTS resource_key UInt128 MATERIALIZED reinterpretAsUInt128(sipHash128(resource_type, resource_id))`,
      `ALTER TABLE ${t.agentActions} MATERIALIZE COLUMN resource_key SETTINGS mutations_sync = 0`,
    ],
  },
  {
    version: 4,
    name: 'agent_actions: payload compressed with ZSTD(1)',
    // The payload is written once and re-compressed by every merge: level 3
    // cost about 3 µs of engine CPU per event at insert alone, for a few
    // percent of size on JSON. A codec change is metadata only: new parts
    // (and parts rewritten by merges) take it, existing ones stay readable.
    statements: (t) => [`ALTER TABLE ${t.agentActions} MODIFY COLUMN payload String CODEC(ZSTD(1))`],
  },
];
