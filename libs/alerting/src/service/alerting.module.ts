import { Module } from '@nestjs/common';
import { DetectionModule } from '@warden/detection';
import { AlertingService } from './alerting.service.js';

@Module({ imports: [DetectionModule], providers: [AlertingService], exports: [AlertingService] })
export class AlertingModule {}
