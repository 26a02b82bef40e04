import type { ClickHouseClient } from '@clickhouse/client';
import { DomainError, fromClickHouseDateTime64, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { Migration, TableNames } from '@warden/storage';
import type { z } from 'zod';
import { type ContainmentEvent, containmentEventSchema } from '../containment/containment.events.js';

export class ConcurrencyConflictError extends DomainError {
  readonly code = 'LEDGER.CONCURRENCY_CONFLICT';
  constructor(streamId: string, expected: number, actual: number) {
    super(`stream ${streamId} is at version ${actual}, not ${expected}: someone else appended first`, { streamId, expected, actual });
  }
}

/**
 * What a stream records: a containment (`ctn_…`), or the revert of one
 * recorded permission change (`pcr_…`). Stored with every event so that a
 * reader of one kind never meets the other's events.
 */
export type StreamType = 'containment' | 'permission_change_revert';

/** What the ledger needs of any event it stores. */
export interface LedgerEvent {
  readonly type: string;
  readonly metadata: { readonly recordedAt: string };
}

export interface StoredStream<E extends LedgerEvent = ContainmentEvent> {
  events: E[];
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
  {
    version: 301,
    name: 'response ledger stream types',
    statements: (t) => [
      // Every stream written before this is a containment.
      `ALTER TABLE ${t.table('response_events')} ADD COLUMN IF NOT EXISTS stream_type LowCardinality(String) DEFAULT 'containment' AFTER tenant`,
    ],
  },
];

/**
 * Append-only event streams in ClickHouse: one per containment, and one per
 * recorded permission change that was reverted. Appends check the expected
 * version and are serialised per stream in this process; across processes,
 * partitioning by principal routes a principal's commands to one instance
 * (see README).
 */
export class ResponseLedger {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  private get table(): string {
    return this.tables.table('response_events');
  }

  /** A containment's stream. */
  read(tenant: string, streamId: string): Promise<StoredStream> {
    return this.readStream('containment', tenant, streamId, containmentEventSchema);
  }

  /** Appends to a containment's stream. */
  append(tenant: string, streamId: string, principalId: string, expectedVersion: number, events: ContainmentEvent[]): Promise<number> {
    return this.appendStream('containment', tenant, streamId, principalId, expectedVersion, events);
  }

  /** A stream of the given type, each event checked against its schema. */
  async readStream<E extends LedgerEvent>(type: StreamType, tenant: string, streamId: string, schema: z.ZodType<E>): Promise<StoredStream<E>> {
    const rs = await this.client.query({
      query: `SELECT event FROM ${this.table}
              WHERE tenant = {tenant:String} AND stream_id = {id:String} AND stream_type = {type:String} ORDER BY version`,
      query_params: { tenant, id: streamId, type },
      format: 'JSONCompactEachRow',
    });
    const events = (await rs.json<[string]>()).map(([e]) => schema.parse(JSON.parse(e)));
    return { events, version: events.length };
  }

  async appendStream<E extends LedgerEvent>(
    type: StreamType,
    tenant: string,
    streamId: string,
    principalId: string,
    expectedVersion: number,
    events: readonly E[],
  ): Promise<number> {
    if (events.length === 0) return expectedVersion;
    const current = await this.currentVersion(tenant, streamId);
    if (current !== expectedVersion) throw new ConcurrencyConflictError(streamId, expectedVersion, current);
    await this.client.insert({
      table: this.table,
      format: 'JSONEachRow',
      values: events.map((event, i) => ({
        tenant,
        stream_type: type,
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

  /**
   * Every stream of one type, of a tenant (or every tenant) and a principal
   * (or every principal), with its events in order, newest stream first: one
   * query however many streams there are, so that "is this principal already
   * contained?" does not get slower with each containment in its history.
   */
  async readStreams<E extends LedgerEvent>(
    type: StreamType,
    schema: z.ZodType<E>,
    filter: { tenant?: string; principal?: string } = {},
  ): Promise<{ tenant: string; stream_id: string; principal_id: string; events: E[] }[]> {
    const where = ['stream_type = {type:String}'];
    const params: Record<string, unknown> = { type };
    if (filter.tenant !== undefined) {
      where.push('tenant = {tenant:String}');
      params.tenant = filter.tenant;
    }
    if (filter.principal !== undefined) {
      where.push('principal_id = {principal:String}');
      params.principal = filter.principal;
    }
    const rs = await this.client.query({
      query: `SELECT tenant, stream_id, principal_id, event FROM ${this.table}
              WHERE ${where.join(' AND ')} ORDER BY tenant, stream_id, version`,
      query_params: params,
      format: 'JSONCompactEachRow',
    });
    const streams = new Map<string, { tenant: string; stream_id: string; principal_id: string; events: E[] }>();
    for (const [tenant, streamId, principalId, event] of await rs.json<[string, string, string, string]>()) {
      const key = `${tenant}\u0000${streamId}`;
      let stream = streams.get(key);
      if (!stream) {
        stream = { tenant, stream_id: streamId, principal_id: principalId, events: [] };
        streams.set(key, stream);
      }
      stream.events.push(schema.parse(JSON.parse(event)));
    }
    const startedAt = (s: { events: E[] }) => s.events[0]?.metadata.recordedAt ?? '';
    return [...streams.values()].sort((a, b) => (startedAt(a) === startedAt(b) ? a.stream_id.localeCompare(b.stream_id) : startedAt(a) < startedAt(b) ? 1 : -1));
  }

  /** Streams of one type (containments unless said otherwise) of a tenant, or of every tenant, newest first, with their principal. */
  async streams(
    tenant?: string,
    principalId?: string,
    type: StreamType = 'containment',
  ): Promise<{ tenant: string; stream_id: string; principal_id: string; started_at: string }[]> {
    const where = ['stream_type = {type:String}'];
    const params: Record<string, unknown> = { type };
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
