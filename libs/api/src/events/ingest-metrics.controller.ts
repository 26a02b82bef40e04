import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Requires } from '@warden/auth';
import { IngestMetrics, type IngestMetricsSnapshot } from '@warden/ingestion';

@ApiTags('events')
@Controller('v1')
export class IngestMetricsController {
  constructor(@Inject(IngestMetrics) private readonly metrics: IngestMetrics) {}

  @Get('ingest/metrics')
  @Requires('history:read')
  @ApiOperation({
    summary: 'Ingest counters: received, stored, duplicates, rejected and dead-lettered by reason, batch size, insert latency, consumer lag',
  })
  get(): IngestMetricsSnapshot {
    return this.metrics.snapshot();
  }
}
