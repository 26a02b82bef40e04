import type { ClickHouseClient } from '@clickhouse/client';
import { fromClickHouseDateTime64, instantFromDate, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { Migration, TableNames } from '@warden/storage';
import type { Role } from '../caller.js';

export interface ApiKeyRecord {
  id: string;
  tenant: string;
  role: Role;
  name: string;
  hash: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

/** Auth tables (versions 400–499). */
export const AUTH_MIGRATIONS: Migration[] = [
  {
    version: 400,
    name: 'api keys and the audit log',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.table('api_keys')} (
        id String, tenant LowCardinality(String), role LowCardinality(String), name String, hash String,
        created_by String, created_at DateTime64(6, 'UTC'), revoked_at Nullable(DateTime64(6, 'UTC')),
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id
      SETTINGS fsync_after_insert = 1`,
      `CREATE TABLE IF NOT EXISTS ${t.table('audit_log')} (
        at DateTime64(6, 'UTC'), tenant LowCardinality(String), actor String, role LowCardinality(String),
        method LowCardinality(String), route String, path String, status UInt16, ip String, request_id String
      ) ENGINE = MergeTree PARTITION BY toYYYYMM(at) ORDER BY (tenant, at)`,
    ],
  },
];

const ch = (d: Date) => toClickHouseDateTime64(instantFromDate(d));

export class ApiKeyRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  async save(record: ApiKeyRecord): Promise<void> {
    await this.client.insert({
      table: this.tables.table('api_keys'),
      format: 'JSONEachRow',
      values: [
        {
          ...record,
          created_at: ch(new Date(record.created_at)),
          revoked_at: record.revoked_at ? ch(new Date(record.revoked_at)) : null,
          version: Date.now() * 1000 + Math.floor(Math.random() * 1000),
        },
      ],
    });
  }

  async all(): Promise<ApiKeyRecord[]> {
    const rs = await this.client.query({
      query: `SELECT id, tenant, role, name, hash, created_by, toString(created_at) AS c, toString(revoked_at) AS r
              FROM ${this.tables.table('api_keys')} FINAL`,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ id: string; tenant: string; role: Role; name: string; hash: string; created_by: string; c: string; r: string | null }>()).map((row) => ({
      id: row.id,
      tenant: row.tenant,
      role: row.role,
      name: row.name,
      hash: row.hash,
      created_by: row.created_by,
      created_at: toRfc3339Utc(fromClickHouseDateTime64(row.c)),
      revoked_at: row.r && row.r !== '\\N' ? toRfc3339Utc(fromClickHouseDateTime64(row.r)) : null,
    }));
  }
}
