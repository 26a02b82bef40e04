import type { ClickHouseClient } from '@clickhouse/client';
import { type UtcInstant, toClickHouseDateTime64, toRfc3339Utc, fromClickHouseDateTime64 } from '@warden/common';
import type { TableNames } from '../clickhouse/clickhouse.connection.js';

/** Raw bytes kept per rejected event: enough to diagnose, bounded so a flood cannot fill the disk. */
export const REJECTED_RAW_MAX_BYTES = 64 * 1024;

export interface RejectedEvent {
  tenant: string;
  transport: 'http' | 'kafka';
  /** Where it came from: `http` request id, or `topic/partition@offset`. */
  origin: string;
  event_id?: string;
  errors: { path: string; message: string }[];
  raw: Buffer | string;
}

export interface StoredRejection {
  rejected_at: string;
  transport: string;
  origin: string;
  event_id: string | null;
  errors: { path: string; message: string }[];
  raw: string;
  raw_bytes: number;
  truncated: boolean;
}

export class RejectedEventRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  async insert(rejections: RejectedEvent[], at: UtcInstant): Promise<void> {
    if (rejections.length === 0) return;
    const rejectedAt = toClickHouseDateTime64(at);
    await this.client.insert({
      table: this.tables.rejectedEvents,
      format: 'JSONEachRow',
      values: rejections.map((r) => {
        const raw = typeof r.raw === 'string' ? Buffer.from(r.raw, 'utf8') : r.raw;
        const kept = raw.subarray(0, REJECTED_RAW_MAX_BYTES);
        return {
          tenant: r.tenant,
          rejected_at: rejectedAt,
          transport: r.transport,
          origin: r.origin,
          event_id: r.event_id ?? '',
          errors: JSON.stringify(r.errors),
          // Not valid UTF-8? Keep it inspectable anyway; the marker says so.
          raw: kept.toString('utf8'),
          raw_bytes: raw.length,
          truncated: kept.length < raw.length,
        };
      }),
    });
  }

  async list(tenant: string, limit: number): Promise<StoredRejection[]> {
    const rs = await this.client.query({
      query: `SELECT toString(rejected_at) AS rejected_at, transport, origin, event_id, errors, raw, raw_bytes, truncated
              FROM ${this.tables.rejectedEvents}
              WHERE tenant = {tenant:String}
              ORDER BY rejected_at DESC LIMIT {limit:UInt32}`,
      query_params: { tenant, limit },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{
      rejected_at: string; transport: string; origin: string; event_id: string;
      errors: string; raw: string; raw_bytes: number; truncated: boolean;
    }>();
    return rows.map((r) => ({
      rejected_at: toRfc3339Utc(fromClickHouseDateTime64(r.rejected_at)),
      transport: r.transport,
      origin: r.origin,
      event_id: r.event_id === '' ? null : r.event_id,
      errors: JSON.parse(r.errors) as StoredRejection['errors'],
      raw: r.raw,
      raw_bytes: Number(r.raw_bytes),
      truncated: Boolean(r.truncated),
    }));
  }
}
