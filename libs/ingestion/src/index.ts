export * from './decoding/event-batch.decoder.js';
export * from './pipeline/ingest-result.js';
export * from './pipeline/ingest.service.js';
export * from './pipeline/validate-batch.js';
export * from './metrics/ingest-metrics.js';
export * from './kafka/kafka-message.js';
export * from './kafka/dead-letter.js';
export { KafkaIngestor, type IngestFatalHandler, isRetriableIngestError } from './kafka/kafka-ingestor.js';
export * from './ingestion.module.js';
