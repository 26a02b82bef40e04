import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertingService } from '@warden/alerting';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';

@ApiTags('detections')
@Controller('v1')
export class AlertsController {
  constructor(@Inject(AlertingService) private readonly alerting: AlertingService) {}

  @Get('alerts/status')
  @ApiOperation({ summary: 'Alerting: failed deliveries, and detection latency (event → alert dispatched) p50/p99/max' })
  @Requires('history:read')
  status(@CurrentCaller() caller: Caller) {
    return this.alerting.status(caller.tenant);
  }
}
