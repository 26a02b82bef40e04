import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type ClickHouseTarget, DEFAULT_EMBEDDED_CONNECTIONS } from '@warden/config';
import { createChdbConnection } from 'chdb/connection';
import { ConnectionPool } from './connection-pool.js';
import { EmbeddedConnection } from './embedded-connection.js';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * The one place that knows whether ClickHouse is a server or the embedded
 * engine. Everything above talks to the same `@clickhouse/client` API.
 */
export function createClickHouseClient(target: ClickHouseTarget): ClickHouseClient {
  const common = {
    application: 'warden',
    request_timeout: 60_000,
    clickhouse_settings: {
      // Rows carry RFC 3339 times ('…T…Z'), which the basic parser refuses;
      // a time that is not one still fails the insert.
      date_time_input_format: 'best_effort' as const,
    },
  };
  if (target.kind === 'server') {
    return createClient({
      ...common,
      url: target.url,
      username: target.username,
      password: target.password,
    });
  }
  const path = join(target.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Connections on one path share the engine (and its data) and run side by side.
  const pool = new ConnectionPool(Array.from({ length: target.connections ?? DEFAULT_EMBEDDED_CONNECTIONS }, () => new EmbeddedConnection(createChdbConnection({ path }))));
  // chdb types its Connection against its own copy of @clickhouse/client-common; the shapes are the same.
  return createClient({ ...common, connection: pool as unknown as ClientConnection });
}

/** Fully qualified, quoted table names. The database name is validated as an identifier by the config schema. */
export class TableNames {
  constructor(readonly database: string) {}
  /** Any Warden table, fully qualified. Table names come from code, never from input. */
  table(name: string): string {
    return `\`${this.database}\`.\`${name}\``;
  }
  private q(table: string): string {
    return this.table(table);
  }
  get agentActions(): string {
    return this.q('agent_actions');
  }
  get rejectedEvents(): string {
    return this.q('rejected_events');
  }
  get migrations(): string {
    return this.q('schema_migrations');
  }
}
