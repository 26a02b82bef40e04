import type { Migration } from '@warden/storage';

export const INTEGRITY_TABLES = {
  digests: 'audit_digests',
  keys: 'audit_keys',
} as const;

/** Same durability as the raw log: a digest acknowledged with its batch must survive a power cut. */
const DURABLE = 'SETTINGS fsync_after_insert = 1, fsync_part_directory = 1';

/**
 * Integrity owns versions 500–599.
 * - `audit_digests`: one row per stored batch, per tenant chain, in `seq`
 *   order. Plain MergeTree, never Replacing: two rows claiming one seq are
 *   evidence (a fork) and must both stay. No TTL, and not in the Migrator's
 *   retention list: digests outlive the events they cover, so the chain can
 *   still be checked, and an expired event told apart from a deleted one.
 *   The per-event arrays hold what the verifier needs to locate a break to
 *   one event: its id, its occurred_at (for retention) and its hash.
 * - `audit_keys`: the public half of every key that signed digests, by
 *   key_id, published for outside verifiers. Verification never trusts this
 *   table (whoever can write digests could write a key here too); it trusts
 *   the keys the verifier is configured with.
 */
export const INTEGRITY_MIGRATIONS: Migration[] = [
  {
    version: 500,
    name: 'audit_digests and audit_keys',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.table(INTEGRITY_TABLES.digests)} (
        tenant LowCardinality(String),
        seq UInt64,
        prev_digest String,
        digest String,
        signature String,
        key_id LowCardinality(String),
        event_count UInt32,
        event_ids Array(String) CODEC(ZSTD(3)),
        event_occurred_at Array(DateTime64(6, 'UTC')) CODEC(ZSTD(3)),
        event_hashes Array(String) CODEC(ZSTD(3)),
        first_occurred_at DateTime64(6, 'UTC'),
        last_occurred_at DateTime64(6, 'UTC'),
        ingested_at DateTime64(6, 'UTC'),
        created_at DateTime64(6, 'UTC')
      )
      ENGINE = MergeTree
      ORDER BY (tenant, seq)
      ${DURABLE}`,
      `CREATE TABLE IF NOT EXISTS ${t.table(INTEGRITY_TABLES.keys)} (
        key_id String,
        algorithm LowCardinality(String),
        public_key_pem String,
        registered_at DateTime64(6, 'UTC')
      )
      ENGINE = ReplacingMergeTree
      ORDER BY key_id
      ${DURABLE}`,
    ],
  },
];
