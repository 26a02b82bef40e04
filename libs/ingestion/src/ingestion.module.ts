import { type DynamicModule, Global, Module } from '@nestjs/common';
import { IntegrityModule } from '@warden/integrity';
import { INGEST_FATAL_HANDLER, type IngestFatalHandler, KafkaIngestor } from './kafka/kafka-ingestor.js';
import { IngestMetrics } from './metrics/ingest-metrics.js';
import { IngestService } from './pipeline/ingest.service.js';

/** The ingest pipeline (validate → store) and its counters, shared by every transport. */
@Global()
@Module({ imports: [IntegrityModule], providers: [IngestService, IngestMetrics], exports: [IngestService, IngestMetrics] })
export class IngestionModule {}

/** The Kafka transport: a consumer-group member feeding the same pipeline. Only wired when brokers are configured. */
@Module({})
export class KafkaIngestModule {
  static forRoot(onFatal: IngestFatalHandler): DynamicModule {
    return {
      module: KafkaIngestModule,
      imports: [IngestionModule],
      providers: [KafkaIngestor, { provide: INGEST_FATAL_HANDLER, useValue: onFatal }],
    };
  }
}
