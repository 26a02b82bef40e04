import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertingService } from '@warden/alerting';
import { type Caller, CurrentCaller } from '@warden/auth';

@ApiTags('detections')
@Controller('v1')
export class AlertsController {
  constructor(@Inject(AlertingService) private readonly alerting: AlertingService) {}

  @Get('alerts/status')
  @ApiOperation({ summary: 'Alerting: failed deliveries, and detection latency (event → alert dispatched) p50/p99/max' })
  status(@CurrentCaller() caller: Caller) {
    return this.alerting.status(caller.tenant);
  }
}
