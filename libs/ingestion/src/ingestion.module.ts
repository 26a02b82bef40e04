import { Module } from '@nestjs/common';
import { IngestService } from './pipeline/ingest.service.js';

@Module({ providers: [IngestService], exports: [IngestService] })
export class IngestionModule {}
