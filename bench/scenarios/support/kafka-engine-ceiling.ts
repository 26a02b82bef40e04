/**
 * The "ClickHouse Kafka-engine ceiling" of the Kafka ingest benchmark: how
 * fast ClickHouse itself (the embedded chDB engine) drains an existing topic
 * into a table shaped like Warden's `agent_actions`, with no Node.js in the
 * data path. A Kafka engine table reads each message whole (JSONAsString),
 * a materialized view parses it once into the flat columns Warden stores and
 * inserts into an `agent_actions` built by Warden's own migrations
 * (ReplacingMergeTree, fsync on insert, the same skip indexes and MATERIALIZED
 * columns). The payload column holds the message as produced; Warden stores
 * the event re-serialized as canonical JSON, work this ceiling does not do.
 *
 * Consumption starts from the earliest offset because the consumer group is
 * new on every run: ClickHouse sets `auto.offset.reset=earliest` on every
 * Kafka engine consumer (KafkaConfigLoader::getConsumerConfiguration, "If no
 * offset stored for this group, read all messages from the start"); there is
 * no `kafka_auto_offset_reset` table setting in upstream ClickHouse.
 */
import { availableParallelism } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import { MIGRATIONS, TableNames } from '@warden/storage';

export const KAFKA_ENGINE_DATABASE = 'bench_kafka_engine';

export interface KafkaEngineIngestOptions {
  brokers: string[];
  topic: string;
  partitions: number;
  /** Rows the target table must reach; the topic must hold exactly this many events. */
  expected: number;
  /** From the view's creation to the last row; default 300 s. */
  timeoutMs?: number;
  /** Consumers in the Kafka table; default min(partitions, cores). */
  consumers?: number;
  /** Rows per block the engine inserts (kafka_max_block_size); default 262,144. */
  maxBlockSize?: number;
  /** A block not yet full is flushed after this long (kafka_flush_interval_ms); default 500 ms. */
  flushIntervalMs?: number;
  /** kafka_thread_per_consumer: each consumer reads, parses and inserts on its own thread; default true when there is more than one consumer. */
  threadPerConsumer?: boolean;
}

export interface KafkaEngineIngestResult {
  /** From CREATE MATERIALIZED VIEW (consumer group join included) to all expected event_ids visible. */
  seconds: number;
  /** Distinct event_ids in the target table when timing stopped. */
  rows: number;
  /** Rows stored more than once (the engine is at-least-once: a rebalance or failed commit re-delivers). */
  duplicates: number;
  /** What was measured and with which engine settings. */
  note: string;
}

/** The engine at hand has no Kafka table engine (built without librdkafka). */
export class KafkaEngineUnavailableError extends Error {
  readonly code = 'BENCH.KAFKA_ENGINE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'KafkaEngineUnavailableError';
  }
}

/** The Kafka engine did not bring the target table to the expected count in time. */
export class KafkaEngineTimeoutError extends Error {
  readonly code = 'BENCH.KAFKA_ENGINE_TIMEOUT';
  constructor(
    message: string,
    readonly rows: number,
    readonly diagnostics: string,
  ) {
    super(`${message}\n${diagnostics}`);
    this.name = 'KafkaEngineTimeoutError';
  }
}

/**
 * The fields of an event Warden flattens into columns (toAgentActionRow),
 * extracted with one JSON parse per message. A missing or null field comes
 * back as '', as `event.agent?.id ?? ''` does in Warden.
 */
const EVENT_SHAPE =
  'Tuple(tenant String, event_id String, occurred_at String, ' +
  'principal Tuple(id String, kind String), agent Tuple(id String), action Tuple(type String), ' +
  'resource Tuple(type String, id String, sensitivity String), outcome String, source Tuple(system String))';

const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function scalar(client: ClickHouseClient, query: string): Promise<number> {
  const rows = await (await client.query({ query, format: 'JSONEachRow' })).json<{ v: number | string }>();
  return Number(rows[0]?.v ?? 0);
}

async function diagnose(client: ClickHouseClient, database: string): Promise<string> {
  const parts: string[] = [];
  for (const [name, query] of [
    ['kafka metrics', "SELECT metric, value FROM system.metrics WHERE metric LIKE 'Kafka%' AND value != 0"],
    ['kafka consumers', `SELECT * FROM system.kafka_consumers WHERE database = ${sqlString(database)}`],
  ] as const) {
    try {
      parts.push(`${name}: ${JSON.stringify(await (await client.query({ query, format: 'JSONEachRow' })).json())}`);
    } catch (error) {
      parts.push(`${name}: (unavailable: ${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return parts.join('\n');
}

/**
 * Creates `bench_kafka_engine` with a Kafka table on `topic`, Warden's
 * `agent_actions` and a materialized view between them; times the view's
 * creation to all `expected` rows visible; drops all of it, which stops the
 * consumers. Uses the client's engine, so run it in the process that owns
 * that chDB data directory.
 */
export async function measureKafkaEngineIngest(
  client: ClickHouseClient,
  opts: KafkaEngineIngestOptions,
): Promise<KafkaEngineIngestResult> {
  const engines = await scalar(client, "SELECT count() AS v FROM system.table_engines WHERE name = 'Kafka'");
  if (engines === 0) {
    throw new KafkaEngineUnavailableError(
      'this ClickHouse has no Kafka table engine (system.table_engines has no "Kafka"; it was built without librdkafka, USE_RDKAFKA=0)',
    );
  }
  const database = KAFKA_ENGINE_DATABASE;
  const tables = new TableNames(database);
  const queue = tables.table('actions_queue');
  const view = tables.table('actions_mv');
  const consumers = Math.max(1, Math.min(opts.consumers ?? Math.min(opts.partitions, availableParallelism()), opts.partitions));
  const maxBlockSize = opts.maxBlockSize ?? 262_144;
  const flushIntervalMs = opts.flushIntervalMs ?? 500;
  const threadPerConsumer = opts.threadPerConsumer ?? consumers > 1;
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const group = `bench-kafka-engine-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

  // The view first: without it the Kafka table has no reader and its consumers
  // stop. Dropping the Kafka table waits for its consumers to close, which can
  // take seconds (one still waiting for an assignment waits up to 15 s).
  const dropAll = async () => {
    await client.command({ query: `DROP TABLE IF EXISTS ${view} SYNC` });
    await client.command({ query: `DROP TABLE IF EXISTS ${queue} SYNC` });
    await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  };

  const measure = async (): Promise<KafkaEngineIngestResult> => {
    await client.command({ query: `CREATE DATABASE ${database}` });
    // Every migration, in order, as Warden's Migrator applies them to a fresh
    // database: the same columns (MATERIALIZED ones included), indexes and settings.
    for (const migration of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      for (const statement of migration.statements(tables)) await client.command({ query: statement });
    }
    await client.command({
      query: `CREATE TABLE ${queue} (raw String) ENGINE = Kafka SETTINGS
        kafka_broker_list = ${sqlString(opts.brokers.join(','))},
        kafka_topic_list = ${sqlString(opts.topic)},
        kafka_group_name = ${sqlString(group)},
        kafka_client_id = ${sqlString(group)},
        kafka_format = 'JSONAsString',
        kafka_num_consumers = ${consumers},
        kafka_thread_per_consumer = ${threadPerConsumer ? 1 : 0},
        kafka_max_block_size = ${maxBlockSize},
        kafka_poll_max_batch_size = ${maxBlockSize},
        kafka_flush_interval_ms = ${flushIntervalMs}`,
    });
    const started = performance.now();
    await client.command({
      query: `CREATE MATERIALIZED VIEW ${view} TO ${tables.agentActions} AS
        SELECT
          e.tenant AS tenant,
          e.event_id AS event_id,
          parseDateTime64BestEffort(e.occurred_at, 6, 'UTC') AS occurred_at,
          now64(6, 'UTC') AS ingested_at,
          e.principal.id AS principal_id,
          e.principal.kind AS principal_kind,
          e.agent.id AS agent_id,
          e.action.type AS action_type,
          e.resource.type AS resource_type,
          e.resource.id AS resource_id,
          e.resource.sensitivity AS sensitivity,
          e.outcome AS outcome,
          e.source.system AS source_system,
          payload
        FROM (SELECT JSONExtract(raw, '${EVENT_SHAPE}') AS e, raw AS payload FROM ${queue})`,
    });
    for (;;) {
      // count() is cheap but counts a re-delivered event twice (no FINAL); the
      // distinct count decides, once count() says there could be enough.
      const stored = await scalar(client, `SELECT count() AS v FROM ${tables.agentActions}`);
      const distinct = stored >= opts.expected ? await scalar(client, `SELECT uniqExact(event_id) AS v FROM ${tables.agentActions}`) : stored;
      const elapsed = performance.now() - started;
      if (distinct >= opts.expected) {
        return {
          seconds: elapsed / 1000,
          rows: distinct,
          duplicates: stored - distinct,
          note:
            'chDB Kafka engine: JSONAsString → materialized view (one JSONExtract per message) → agent_actions; ' +
            `${consumers} consumer(s) on ${opts.partitions} partitions, kafka_thread_per_consumer=${threadPerConsumer ? 1 : 0}, ` +
            `kafka_max_block_size=${maxBlockSize}, kafka_flush_interval_ms=${flushIntervalMs}; ` +
            'timed from CREATE MATERIALIZED VIEW (group join included) to all expected event_ids visible' +
            (stored > distinct ? `; ${stored - distinct} duplicate row(s) from re-delivery` : ''),
        };
      }
      if (elapsed > timeoutMs) {
        throw new KafkaEngineTimeoutError(
          `the Kafka engine stored ${stored} row(s), ${distinct} distinct, of ${opts.expected} from ${opts.topic} in ${Math.round(elapsed / 1000)} s` +
            (stored === 0 ? ' (none at all: is background streaming running in this engine, and is the broker reachable from it?)' : ''),
          distinct,
          await diagnose(client, database),
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  // A database left by a crashed run would re-attach its view and consume again.
  await dropAll();
  let result: KafkaEngineIngestResult;
  try {
    result = await measure();
  } catch (error) {
    // The measurement's own failure is the one to report, not a cleanup one.
    await dropAll().catch(() => undefined);
    throw error;
  }
  await dropAll();
  return result;
}
