import type { ClickHouseClient } from '@clickhouse/client';
import type { TableNames } from '../clickhouse/clickhouse.connection.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** Tables whose rows age out after the configured retention. Digests and the ledger, later, never do. */
const RETAINED = [
  { table: (t: TableNames) => t.agentActions, column: 'occurred_at' },
  { table: (t: TableNames) => t.rejectedEvents, column: 'rejected_at' },
];

export class Migrator {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
    private readonly migrations: Migration[] = MIGRATIONS,
  ) {}

  /** Applies what is missing, in version order; returns the versions applied by this call. */
  async migrate(): Promise<number[]> {
    await this.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${this.tables.database}\`` });
    await this.client.command({
      query: `CREATE TABLE IF NOT EXISTS ${this.tables.migrations} (
        version UInt32, name String, applied_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree ORDER BY version`,
    });
    const applied = new Set(await this.appliedVersions());
    const done: number[] = [];
    for (const migration of [...this.migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements(this.tables)) {
        await this.client.command({ query: statement });
      }
      await this.client.insert({
        table: this.tables.migrations,
        values: [{ version: migration.version, name: migration.name, applied_at: Date.now() }],
        format: 'JSONEachRow',
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
      done.push(migration.version);
    }
    return done;
  }

  async appliedVersions(): Promise<number[]> {
    const rs = await this.client.query({
      query: `SELECT DISTINCT version FROM ${this.tables.migrations} ORDER BY version`,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ version: number }>()).map((r) => Number(r.version));
  }

  /** Sets (or removes, for 0) the retention TTL, touching a table only when its TTL differs. */
  async applyRetention(days: number): Promise<void> {
    for (const { table, column } of RETAINED) {
      const name = table(this.tables);
      const current = await this.currentTtl(name);
      const wanted = days > 0 ? `toDateTime(${column}) + toIntervalDay(${days})` : null;
      if (wanted === null && current === null) continue;
      if (wanted !== null && current !== null && current.replace(/\s+/g, '') === wanted.replace(/\s+/g, '')) continue;
      await this.client.command({
        query: wanted === null ? `ALTER TABLE ${name} REMOVE TTL` : `ALTER TABLE ${name} MODIFY TTL ${wanted}`,
      });
    }
  }

  private async currentTtl(qualified: string): Promise<string | null> {
    const [database, table] = qualified.split('.').map((s) => s.replaceAll('`', ''));
    const rs = await this.client.query({
      query: `SELECT create_table_query FROM system.tables WHERE database = {database:String} AND name = {table:String}`,
      query_params: { database, table },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ create_table_query: string }>();
    const match = row?.create_table_query.match(/\bTTL\s+(.+?)\s+SETTINGS\b/);
    return match ? match[1] : null;
  }
}
