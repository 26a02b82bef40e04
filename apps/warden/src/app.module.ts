import { type DynamicModule, Module } from '@nestjs/common';
import { ApiModule } from '@warden/api';
import { ConfigModule, type WardenConfig } from '@warden/config';
import { ALERTING_MIGRATIONS } from '@warden/alerting';
import { AUTH_MIGRATIONS } from '@warden/auth';
import { DETECTION_MIGRATIONS } from '@warden/detection';
import { IngestionModule, KafkaIngestModule } from '@warden/ingestion';
import { INTEGRITY_MIGRATIONS } from '@warden/integrity';
import { RESPONSE_MIGRATIONS } from '@warden/response';
import { StorageModule } from '@warden/storage';
import { type Logger, TelemetryModule } from '@warden/telemetry';

/** The all-in-one process: storage, ingest (HTTP, and Kafka when configured) and the API in one. */
@Module({})
export class AppModule {
  static forRoot(config: WardenConfig, logger: Logger, onFatal: (error: unknown) => void): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TelemetryModule.forRoot(logger),
        StorageModule.forRoot([...DETECTION_MIGRATIONS, ...ALERTING_MIGRATIONS, ...RESPONSE_MIGRATIONS, ...AUTH_MIGRATIONS, ...INTEGRITY_MIGRATIONS]),
        IngestionModule,
        ApiModule,
        ...(config.kafka ? [KafkaIngestModule.forRoot(onFatal)] : []),
      ],
    };
  }
}
