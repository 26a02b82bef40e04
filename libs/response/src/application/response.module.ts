import type { ClickHouseClient } from '@clickhouse/client';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { WARDEN_CONFIG, type WardenConfig, configSection } from '@warden/config';
import { DetectionModule } from '@warden/detection';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { ResponseLedger } from '../ledger/response-ledger.js';
import { AutoContainmentService } from './auto-containment.service.js';
import { ConnectorRegistry, connectorsSectionSchema } from './connector-registry.js';
import { ContainmentCommandHandler } from './containment-command.handler.js';
import { ContainmentRunner } from './containment.runner.js';
import { ContainmentService } from './containment.service.js';
import { PermissionChangeRevertCommandHandler } from './permission-change-revert.handler.js';
import { PermissionChangeService } from './permission-change.service.js';
import { CONNECTOR_REGISTRY, RESPONSE_LEDGER } from './response.di-tokens.js';

/** Containment and rollback, and reverting recorded permission changes: the ledger, the command handlers, the process manager and the connectors. */
@Module({
  imports: [CqrsModule.forRoot(), DetectionModule],
  providers: [
    {
      provide: RESPONSE_LEDGER,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new ResponseLedger(c, t),
    },
    {
      provide: CONNECTOR_REGISTRY,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) => ConnectorRegistry.fromConfig(configSection(config, 'connectors', connectorsSectionSchema)),
    },
    ContainmentCommandHandler,
    ContainmentRunner,
    ContainmentService,
    AutoContainmentService,
    PermissionChangeRevertCommandHandler,
    PermissionChangeService,
  ],
  exports: [ContainmentService, AutoContainmentService, PermissionChangeService, CONNECTOR_REGISTRY],
})
export class ResponseModule {}
