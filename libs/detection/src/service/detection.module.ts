import type { ClickHouseClient } from '@clickhouse/client';
import { Module } from '@nestjs/common';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { ClickHouseActionHistory } from '../adapters/clickhouse-action-history.js';
import { DetectionRepository } from '../adapters/detection.repository.js';
import { ACTION_HISTORY_PORT } from '../history/action-history.port.js';
import { DETECTION_REPOSITORY } from './detection.di-tokens.js';
import { DetectionService } from './detection.service.js';

/** Detection in the ingest path, over ClickHouse. Needs StorageModule (with DETECTION_MIGRATIONS) and IngestionModule. */
@Module({
  providers: [
    {
      provide: DETECTION_REPOSITORY,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new DetectionRepository(c, t),
    },
    {
      provide: ACTION_HISTORY_PORT,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new ClickHouseActionHistory(c, t),
    },
    DetectionService,
  ],
  exports: [DetectionService, DETECTION_REPOSITORY],
})
export class DetectionModule {}
