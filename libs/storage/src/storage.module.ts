import type { ClickHouseClient } from '@clickhouse/client';
import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { type Logger, LOGGER, Readiness } from '@warden/telemetry';
import { TableNames, createClickHouseClient } from './clickhouse/clickhouse.connection.js';
import { AgentActionRepository } from './agent-actions/agent-action.repository.js';
import { MIGRATIONS, type Migration } from './migrations/migrations.js';
import { Migrator } from './migrations/migrator.js';
import { RejectedEventRepository } from './rejected-events/rejected-event.repository.js';
import { StorageHealth } from './storage.health.js';
import { CLICKHOUSE_CLIENT, EXTRA_MIGRATIONS, TABLE_NAMES } from './storage.di-tokens.js';

/**
 * Opens ClickHouse (server or embedded) and brings the schema up to date
 * before anything else can use it: the app is not ready until migrated.
 */
@Global()
@Module({
  providers: [
    {
      provide: TABLE_NAMES,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) => new TableNames(config.clickhouse.database),
    },
    {
      provide: CLICKHOUSE_CLIENT,
      inject: [WARDEN_CONFIG, TABLE_NAMES, LOGGER, EXTRA_MIGRATIONS],
      useFactory: async (config: WardenConfig, tables: TableNames, logger: Logger, extra: Migration[]) => {
        const client = createClickHouseClient(config.clickhouse);
        try {
          const migrator = new Migrator(client, tables, [...MIGRATIONS, ...extra]);
          const applied = await migrator.migrate();
          await migrator.applyRetention(config.retentionDays);
          logger.info(
            { storage: config.clickhouse.kind, database: tables.database, migrations_applied: applied },
            'storage ready',
          );
          return client;
        } catch (error) {
          await client.close();
          throw error;
        }
      },
    },
    {
      provide: AgentActionRepository,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new AgentActionRepository(c, t),
    },
    {
      provide: RejectedEventRepository,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new RejectedEventRepository(c, t),
    },
    {
      provide: StorageHealth,
      inject: [CLICKHOUSE_CLIENT],
      useFactory: (c: ClickHouseClient) => new StorageHealth(c),
    },
  ],
  exports: [CLICKHOUSE_CLIENT, TABLE_NAMES, AgentActionRepository, RejectedEventRepository, StorageHealth],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(
    @Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient,
    @Inject(StorageHealth) health: StorageHealth,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register('storage', () => health.check());
  }

  /**
   * Each lib owns its tables: it exports its migrations (versions in its own
   * range: storage 1–99, detection 100–199, alerting 200–299, response 300–399,
   * auth 400–499, audit 500–599) and the app passes them here.
   */
  static forRoot(migrations: Migration[] = []): DynamicModule {
    const versions = [...MIGRATIONS, ...migrations].map((m) => m.version);
    const repeated = versions.filter((v, i) => versions.indexOf(v) !== i);
    if (repeated.length > 0) throw new Error(`migration versions used twice: ${repeated.join(', ')}`);
    return { module: StorageModule, providers: [{ provide: EXTRA_MIGRATIONS, useValue: migrations }] };
  }


  // The embedded engine is a process singleton: release it so a restart in the same process can reopen it.
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
