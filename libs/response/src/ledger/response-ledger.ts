import type { ClickHouseClient } from '@clickhouse/client';
import { DomainError, fromClickHouseDateTime64, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { Migration, TableNames } from '@warden/storage';
import { type ContainmentEvent, containmentEventSchema } from '../containment/containment.events.js';

export class ConcurrencyConflictError extends DomainError {
  readonly code = 'LEDGER.CONCURRENCY_CONFLICT';
  constructor(streamId: string, expected: number, actual: number) {
    super(`stream ${streamId} is at version ${actual}, not ${expected}: someone else appended first`, { streamId, expected, actual });
  }
}

export interface StoredStream {
  events: ContainmentEvent[];
  /** Number of events in the stream: the expected version for the next append. */
  version: number;
}

/** Response ledger tables (versions 300–399). The ledger is never subject to retention. */
export const RESPONSE_MIGRATIONS: Migration[] = [
  {
    version: 300,
    name: 'response ledger',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.table('response_events')} (
        tenant LowCardinality(String),
        stream_id String,
        principal_id String,
        version UInt32,
        type LowCardinality(String),
        recorded_at DateTime64(6, 'UTC'),
        event String CODEC(ZSTD(3))
      )
      ENGINE = MergeTree
      ORDER BY (tenant, stream_id, version)
      SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
    ],
  },
];

/**
 * Append-only event streams, one per containment, in ClickHouse. Appends
 * check the expected version and are serialised per stream in this
 * process; across processes, partitioning by principal routes a principal's
 * commands to one instance (see README).
 */
export class ResponseLedger {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  private get table(): string {
    return this.tables.table('response_events');
  }

  async read(tenant: string, streamId: string): Promise<StoredStream> {
    const rs = await this.client.query({
      query: `SELECT event FROM ${this.table} WHERE tenant = {tenant:String} AND stream_id = {id:String} ORDER BY version`,
      query_params: { tenant, id: streamId },
      format: 'JSONCompactEachRow',
    });
    const events = (await rs.json<[string]>()).map(([e]) => containmentEventSchema.parse(JSON.parse(e)));
    return { events, version: events.length };
  }

  async append(tenant: string, streamId: string, principalId: string, expectedVersion: number, events: ContainmentEvent[]): Promise<number> {
    if (events.length === 0) return expectedVersion;
    const current = await this.currentVersion(tenant, streamId);
    if (current !== expectedVersion) throw new ConcurrencyConflictError(streamId, expectedVersion, current);
    await this.client.insert({
      table: this.table,
      format: 'JSONEachRow',
      values: events.map((event, i) => ({
        tenant,
        stream_id: streamId,
        principal_id: principalId,
        version: expectedVersion + i + 1,
        type: event.type,
        recorded_at: toClickHouseDateTime64(parseRfc3339(event.metadata.recordedAt)),
        event: JSON.stringify(event),
      })),
    });
    return expectedVersion + events.length;
  }

  /** Streams of a tenant (or of every tenant), newest first, with their principal. */
  async streams(tenant?: string, principalId?: string): Promise<{ tenant: string; stream_id: string; principal_id: string; started_at: string }[]> {
    const where = ['1'];
    const params: Record<string, unknown> = {};
    if (tenant !== undefined) {
      where.push('tenant = {tenant:String}');
      params.tenant = tenant;
    }
    if (principalId !== undefined) {
      where.push('principal_id = {principal:String}');
      params.principal = principalId;
    }
    const rs = await this.client.query({
      query: `SELECT tenant, stream_id, any(principal_id) AS principal, toString(min(recorded_at)) AS started
              FROM ${this.table} WHERE ${where.join(' AND ')}
              GROUP BY tenant, stream_id ORDER BY started DESC`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ tenant: string; stream_id: string; principal: string; started: string }>()).map((r) => ({
      tenant: r.tenant,
      stream_id: r.stream_id,
      principal_id: r.principal,
      started_at: toRfc3339Utc(fromClickHouseDateTime64(r.started)),
    }));
  }

  private async currentVersion(tenant: string, streamId: string): Promise<number> {
    const rs = await this.client.query({
      query: `SELECT max(version) AS v, count() AS n FROM ${this.table} WHERE tenant = {tenant:String} AND stream_id = {id:String}`,
      query_params: { tenant, id: streamId },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ v: number | string; n: number | string }>();
    return Number(row?.n ?? 0) === 0 ? 0 : Number(row.v);
  }
}
