export * from './decoding/event-batch.decoder.js';
export * from './pipeline/ingest-result.js';
export * from './pipeline/ingest.service.js';
export * from './ingestion.module.js';
